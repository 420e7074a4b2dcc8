import Foundation
import Testing

/// `docs/man/p.1` (written by scripts/man-page from the commands' help, installed by the
/// packages) says what `--help` says: every command shown in help, every option's names, and
/// every abstract appear in it. A change of help without `scripts/man-page` fails here.
@Suite("The manual page")
struct ManPageTests {
    @Test func itSaysWhatHelpSays() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        let page = try String(contentsOf: root.appendingPathComponent("docs/man/p.1"), encoding: .utf8)
        let text = Self.flattened(page)
        let dump = try Shell.run(try Shell.pExecutable, ["--experimental-dump-help"])
        let tool = try #require(try JSONSerialization.jsonObject(with: Data(dump.utf8)) as? [String: Any])
        var missing: [String] = []
        func check(_ command: [String: Any], path: String) {
            if command["shouldDisplay"] as? Bool == false { return }
            let name = command["commandName"] as? String ?? ""
            if path != "p" && !page.contains(".It Em \(name)") { missing.append("the command \(path)") }
            if let abstract = command["abstract"] as? String, !text.contains(Self.flattened(abstract)) {
                missing.append("the abstract of \(path): \(abstract)")
            }
            for argument in command["arguments"] as? [[String: Any]] ?? []
            where argument["shouldDisplay"] as? Bool != false {
                for spelling in argument["names"] as? [[String: Any]] ?? [] {
                    // `.It Fl -json`, or `.It Fl d , -detach` for an option with both names.
                    let short = spelling["kind"] as? String == "short"
                    let flag = (short ? "" : "-") + (spelling["name"] as? String ?? "")
                    if !page.contains("Fl " + flag) && !page.contains(", " + flag) {
                        missing.append("\(path) \(flag)")
                    }
                }
                if let abstract = argument["abstract"] as? String, !abstract.isEmpty,
                    !text.contains(Self.flattened(abstract))
                {
                    missing.append("the help of an option of \(path): \(abstract)")
                }
            }
            for sub in command["subcommands"] as? [[String: Any]] ?? [] {
                check(sub, path: path + " " + (sub["commandName"] as? String ?? ""))
            }
        }
        check(try #require(tool["command"] as? [String: Any]), path: "p")
        #expect(missing.isEmpty, "docs/man/p.1 is behind --help; run scripts/man-page. Missing: \(missing)")
    }

    /// The words of `text` with mdoc's escapes undone and every run of white space one space.
    static func flattened(_ text: String) -> String {
        text.replacingOccurrences(of: "\\&", with: "").replacingOccurrences(of: "\\e", with: "\\")
            .split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }
}
