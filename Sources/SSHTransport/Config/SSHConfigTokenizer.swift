/// Splits one `ssh_config` line into words as OpenSSH does: whitespace separates, an `=`
/// may stand between keyword and value, double quotes group, `#` starts a comment.
enum SSHConfigTokenizer {
    struct Failure: Error {
        var message: String
    }

    static func tokenize(_ line: String) throws(Failure) -> [String] {
        var rest = Substring(line).drop(while: \.isWhitespace)
        if rest.isEmpty || rest.hasPrefix("#") { return [] }
        let keyword = rest.prefix { !$0.isWhitespace && $0 != "=" }
        rest = rest.dropFirst(keyword.count).drop(while: \.isWhitespace)
        if rest.hasPrefix("=") { rest = rest.dropFirst().drop(while: \.isWhitespace) }
        return [String(keyword)] + (try words(rest))
    }

    private static func words(_ text: Substring) throws(Failure) -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var inQuotes = false
        for character in text {
            if inQuotes {
                if character == "\"" { inQuotes = false } else { current.append(character) }
            } else if character == "\"" {
                inQuotes = true
                inWord = true
            } else if character.isWhitespace {
                if inWord { words.append(current) }
                current = ""
                inWord = false
            } else if character == "#" && !inWord {
                break
            } else {
                current.append(character)
                inWord = true
            }
        }
        if inQuotes { throw Failure(message: "unbalanced double quote") }
        if inWord { words.append(current) }
        return words
    }
}
