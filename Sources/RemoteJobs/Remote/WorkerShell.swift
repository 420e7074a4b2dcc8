import Foundation

/// The worker-side shell programs as they run: the readable files of `Worker/` (built in by
/// the EmbedWorkerScripts plugin, see `WorkerScriptFiles`) with their libraries put in
/// place and joined into one line.
///
/// One line, because a login shell reads each script inside single quotes (`sh -c '...'`),
/// which csh and tcsh do not let span lines. The files are therefore written in a subset of
/// POSIX `sh` that joins safely: no single quotes and no `\\` (fish reads both inside single
/// quotes), no here-documents, no line that ends inside double quotes; a comment starts a
/// line or follows a blank. A line `. lib/NAME.sh` includes that library (once per
/// program, wherever it is asked for first), so a file reads as the shell program it is
/// and `shellcheck -x` follows the same includes.
enum WorkerShell {
    /// Why a file cannot be joined; a test proves none of the built-in ones fails.
    struct Failure: Error, CustomStringConvertible {
        var file: String
        var line: Int
        var reason: String
        var description: String { "Worker/\(file):\(line): \(reason)" }
    }

    /// The program of file `name` (a path under `Worker/`) as one line, its libraries in
    /// place. Stops the program when a built-in file breaks the rules (a test runs every
    /// one first).
    static func program(_ name: String) -> String {
        do {
            return try join(resolve(name, files: WorkerScriptFiles.texts))
        } catch {
            preconditionFailure("\(error)")
        }
    }

    /// The arguments file `name` declares, in order: its `: "${NAME=}" ...` line.
    static func declaredArguments(_ name: String) -> [String] {
        guard let text = WorkerScriptFiles.texts[name] else { return [] }
        for line in text.split(separator: "\n") where line.hasPrefix(#": "${"#) {
            return line.split(separator: " ").dropFirst().compactMap { word in
                guard word.hasPrefix(#""${"#), word.hasSuffix(#"=}""#) else { return nil }
                return String(word.dropFirst(3).dropLast(3))
            }
        }
        return []
    }

    /// The words of the first case pattern in shell function `function` of file `name`: the
    /// one place a list both sides use (Slurm's states) is written.
    static func casePattern(function: String, in name: String) -> [String] {
        let lines = (WorkerScriptFiles.texts[name] ?? "").split(separator: "\n").map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        guard let start = lines.firstIndex(of: function + "() {"),
            let pattern = lines[start...].dropFirst().first(where: { !$0.hasPrefix("case ") && $0.contains(")") })
        else { preconditionFailure("no case pattern in \(function) of Worker/\(name)") }
        return pattern.prefix(while: { $0 != ")" }).split(separator: "|").map {
            $0.trimmingCharacters(in: .whitespaces)
        }
    }

    /// A line of a file, with where it came from.
    struct SourceLine: Equatable {
        var file: String
        var number: Int
        var text: String
    }

    /// The lines of `name` with each `. lib/NAME.sh` replaced by that library's lines (each
    /// library once).
    static func resolve(_ name: String, files: [String: String]) throws(Failure) -> [SourceLine] {
        var included: Set<String> = []
        return try resolve(name, files: files, included: &included)
    }

    private static func resolve(_ name: String, files: [String: String], included: inout Set<String>)
        throws(Failure) -> [SourceLine]
    {
        guard let text = files[name] else { throw Failure(file: name, line: 0, reason: "no such file") }
        var lines: [SourceLine] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix(". lib/"), trimmed.hasSuffix(".sh"), !trimmed.contains(" ", after: 2) {
                let library = String(trimmed.dropFirst(2))
                if included.insert(library).inserted {
                    lines += try resolve(library, files: files, included: &included)
                }
                continue
            }
            lines.append(SourceLine(file: name, number: index + 1, text: String(line)))
        }
        return lines
    }

    /// `lines` as one line: comments and blank lines dropped, each line's end turned into
    /// `; ` where it ends a command, or a space where the command goes on (after `then`,
    /// `do`, `else`, `in`, `{`, `(`, `|`, `&&`, `||`, `;;`, `;`, `&`, a case pattern's `)`,
    /// and before `;;`); a `\` at the end continues the line.
    static func join(_ lines: [SourceLine]) throws(Failure) -> String {
        var result = ""
        var previous: String?
        for line in lines {
            let code = try stripComment(line)
            guard !code.isEmpty else { continue }
            if code.contains(#"\\"#) { throw Failure(file: line.file, line: line.number, reason: #"a "\\""#) }
            if let last = previous {
                if last.hasSuffix("\\") {
                    result.removeLast()
                    while result.last == " " { result.removeLast() }
                    result += " "
                } else {
                    result += continues(after: last) || code.hasPrefix(";;") ? " " : "; "
                }
            }
            result += code
            previous = code
        }
        return result
    }

    /// Whether a command goes on past a line that ends with `line`.
    private static func continues(after line: String) -> Bool {
        for ending in ["{", "(", "|", "&&", "||", ";;", ";", "&"] where line.hasSuffix(ending) { return true }
        let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
        if let last = words.last, ["then", "do", "else"].contains(last),
            words.count == 1 || words[words.count - 2].hasSuffix(";")
        {
            return true
        }
        if words.first == "case", words.last == "in" { return true }
        // A case pattern: a `)` that closes nothing opened on its line.
        if line.hasSuffix(")"), !line.hasPrefix(")") {
            let closing = line.filter { $0 == ")" }.count
            let opening = line.filter { $0 == "(" }.count
            if closing > opening { return true }
        }
        return false
    }

    /// The code of `line` without indentation or a trailing comment.
    /// - Throws: `Failure` for a single quote, or a line that ends inside double quotes.
    private static func stripComment(_ line: SourceLine) throws(Failure) -> String {
        var code = ""
        var inQuotes = false
        var escaped = false
        var previous: Character = " "
        for character in line.text {
            if escaped {
                code.append(character)
                escaped = false
                previous = character
                continue
            }
            switch character {
            case "\\":
                escaped = true
            case "'":
                throw Failure(file: line.file, line: line.number, reason: "a single quote")
            case "\"":
                inQuotes.toggle()
            case "#" where !inQuotes && (previous == " " || previous == "\t"):
                return code.trimmingCharacters(in: .whitespaces)
            default:
                break
            }
            code.append(character)
            previous = character
        }
        if inQuotes {
            throw Failure(file: line.file, line: line.number, reason: "the line ends inside double quotes")
        }
        return code.trimmingCharacters(in: .whitespaces)
    }
}

extension StringProtocol {
    /// Whether the text has `character` at or after offset `start`.
    fileprivate func contains(_ character: Character, after start: Int) -> Bool {
        dropFirst(start).contains(character)
    }
}
