import Foundation
import Testing

/// Every public declaration of the libraries programs use (SSHTransport, RemoteJobs,
/// JobServer), enum cases included, carries a `///` comment.
@Suite("Public API documentation")
struct PublicDocumentationTests {
    static let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources")

    @Test(arguments: ["SSHTransport", "RemoteJobs", "JobServer"])
    func everyPublicSymbolIsDocumented(module: String) throws {
        let directory = Self.sources.appendingPathComponent(module)
        let files = FileManager.default.enumerator(atPath: directory.path)?.allObjects as? [String] ?? []
        var undocumented: [String] = []
        for file in files where file.hasSuffix(".swift") {
            let lines = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
                .components(separatedBy: "\n")
            var enumIndents: [Int] = []
            for (index, line) in lines.enumerated() {
                let text = line.trimmingCharacters(in: .whitespaces)
                let indent = line.prefix(while: { $0 == " " }).count
                if let last = enumIndents.last, text == "}", indent == last { enumIndents.removeLast() }
                let isPublic = text.hasPrefix("public ") && !text.hasPrefix("public extension")
                let isCase = text.hasPrefix("case ") && enumIndents.last.map { indent == $0 + 4 } == true
                if text.hasPrefix("public enum ") || text.hasPrefix("public indirect enum ") {
                    enumIndents.append(indent)
                }
                guard isPublic || isCase else { continue }
                var previous = index - 1
                while previous >= 0,
                    lines[previous].trimmingCharacters(in: .whitespaces).hasPrefix("@")
                        || lines[previous].trimmingCharacters(in: .whitespaces).isEmpty
                {
                    previous -= 1
                }
                if previous < 0 || !lines[previous].trimmingCharacters(in: .whitespaces).hasPrefix("///") {
                    undocumented.append("\(module)/\(file):\(index + 1): \(text)")
                }
            }
        }
        #expect(undocumented.isEmpty, "\(undocumented.joined(separator: "\n"))")
    }

    /// The DocC catalog of each library curates every public type in a topic group of its
    /// landing page (`swift package generate-documentation`, run by scripts/test with
    /// warnings as errors, checks that each link resolves).
    @Test(arguments: ["SSHTransport", "RemoteJobs"])
    func everyPublicTypeIsInATopicGroup(module: String) throws {
        let directory = Self.sources.appendingPathComponent(module)
        let landing = try String(
            contentsOf: directory.appendingPathComponent("\(module).docc/\(module).md"), encoding: .utf8)
        let topics = try #require(landing.range(of: "## Topics")).upperBound
        let curated = String(landing[topics...])
        let files = FileManager.default.enumerator(atPath: directory.path)?.allObjects as? [String] ?? []
        var missing: [String] = []
        let kinds = ["class", "final class", "struct", "enum", "actor", "protocol", "typealias"]
        for file in files where file.hasSuffix(".swift") {
            for line in try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
                .components(separatedBy: "\n")
            {
                guard let kind = kinds.first(where: { line.hasPrefix("public \($0) ") }) else { continue }
                let name = line.dropFirst("public \(kind) ".count).prefix { $0.isLetter || $0.isNumber || $0 == "_" }
                if !curated.contains("``\(name)``") { missing.append("\(name) (\(file))") }
            }
        }
        #expect(missing.isEmpty, "not in a topic group of \(module).docc/\(module).md: \(missing)")
    }
}
