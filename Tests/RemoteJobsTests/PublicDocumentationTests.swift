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
}
