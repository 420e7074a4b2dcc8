/// POSIX shell quoting for the arguments p passes to its worker-side scripts.
enum ShellQuote {
    /// `text` in single quotes, with each `'` written as `'\''`, so any shell of the
    /// Bourne family reads it back as exactly these bytes.
    static func quote(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }

    /// `sh -c '<script>' p <args...>`: runs a fixed script with arguments, so that nothing
    /// a user typed is ever spliced into script text.
    static func command(script: String, arguments: [String]) -> String {
        (["sh", "-c", quote(script), "p"] + arguments.map(quote)).joined(separator: " ")
    }
}
