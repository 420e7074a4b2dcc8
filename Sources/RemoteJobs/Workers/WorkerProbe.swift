import Foundation

/// What a worker has, as `p worker register` reports it.
public struct WorkerProbe: Sendable, Equatable {
    /// `uname -sr`.
    public var system: String
    /// `uname -m`.
    public var architecture: String
    /// The login shell jobs run with.
    public var shell: String
    /// Where rsync is, if the worker has it (directory sync uses it when present).
    public var rsync: String?
    /// Whether the worker can start a job in its own session (`setsid`, or perl).
    public var hasSetsid: Bool
    /// Where tar is, if the worker has it (directory sync streams an archive through it).
    public var tar: String?

    /// What is missing, as sentences; empty when the worker has everything.
    public var missing: [String] {
        var notes: [String] = []
        if tar == nil && rsync == nil {
            notes.append("neither tar nor rsync is installed: directory sync will use SFTP alone")
        }
        if !hasSetsid {
            notes.append("setsid is missing: install util-linux, or perl, so jobs get their own process group")
        }
        return notes
    }

    static func parse(_ text: String) -> WorkerProbe {
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let space = line.firstIndex(of: " ") else { continue }
            values[String(line[..<space])] = String(line[line.index(after: space)...])
        }
        func tool(_ name: String) -> String? { values["has-" + name].flatMap { $0 == "-" ? nil : $0 } }
        return WorkerProbe(
            system: values["os"] ?? "?", architecture: values["arch"] ?? "?", shell: values["shell"] ?? "?",
            rsync: tool("rsync"), hasSetsid: tool("setsid") != nil, tar: tool("tar"))
    }
}

/// How one worker answered `p worker ls --check`.
public struct WorkerCheck: Sendable {
    /// The worker.
    public var worker: Worker
    /// Connect, handshake and authentication, when it answered.
    public var connectTime: Duration?
    /// One command's round trip on the open connection.
    public var roundTrip: Duration?
    /// Why it could not be reached.
    public var failure: String?
}
