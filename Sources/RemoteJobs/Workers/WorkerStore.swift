import Foundation
import Yams

/// Reads and writes `config.yaml`. Writes are atomic, so a crash never leaves half a file.
public struct WorkerStore: Sendable {
    /// The file this store reads and writes.
    public let path: String

    /// A store for `paths.configFile`.
    public init(paths: PPaths) {
        path = paths.configFile
    }

    /// The configuration; an absent file is an empty configuration.
    /// - Throws: `RemoteJobsError.configInvalid` for a file that is not valid YAML of the
    ///   expected shape, `.localFile` when it cannot be read.
    public func load() throws(RemoteJobsError) -> WorkerConfig {
        guard let bytes = try AtomicFile.read(path) else { return WorkerConfig() }
        let text = String(decoding: bytes, as: UTF8.self)
        if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return WorkerConfig() }
        do {
            return try YAMLDecoder().decode(WorkerConfig.self, from: text)
        } catch {
            throw .configInvalid(path: path, reason: Self.describe(error))
        }
    }

    /// Saves the configuration (mode 0600).
    public func save(_ config: WorkerConfig) throws(RemoteJobsError) {
        let text: String
        do {
            text = try YAMLEncoder().encode(config)
        } catch {
            throw .configInvalid(path: path, reason: "\(error)")
        }
        try AtomicFile.write(Array(text.utf8), to: path)
    }

    /// Loads, changes and saves the configuration.
    public func update(_ change: (inout WorkerConfig) throws(RemoteJobsError) -> Void) throws(RemoteJobsError) {
        var config = try load()
        try change(&config)
        try save(config)
    }

    private static func describe(_ error: any Error) -> String {
        if let decoding = error as? DecodingError {
            switch decoding {
            case .keyNotFound(let key, let context):
                return "missing '\(key.stringValue)' at \(path(context))"
            case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
                return "\(context.debugDescription) at \(path(context))"
            @unknown default:
                return "\(decoding)"
            }
        }
        return "\(error)"
    }

    private static func path(_ context: DecodingError.Context) -> String {
        let parts = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
        return parts.isEmpty ? "the top level" : parts.joined(separator: ".")
    }
}
