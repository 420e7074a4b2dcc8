/// Matching of `Host` patterns as OpenSSH applies them: `*` and `?` wildcards, `!` negation.
enum SSHConfigPattern {
    /// Whether a `Host` pattern list matches `host`: some positive pattern matches and no
    /// negated one does.
    static func listMatches(_ patterns: [String], host: String) -> Bool {
        var matched = false
        for pattern in patterns {
            if pattern.hasPrefix("!") {
                if wildcardMatches(String(pattern.dropFirst()), host) { return false }
            } else if wildcardMatches(pattern, host) {
                matched = true
            }
        }
        return matched
    }

    /// Glob match of `*` (any run) and `?` (one character), case-insensitive like OpenSSH's
    /// host matching.
    static func wildcardMatches(_ pattern: String, _ text: String) -> Bool {
        let p = Array(pattern.lowercased().unicodeScalars)
        let t = Array(text.lowercased().unicodeScalars)
        var pi = 0
        var ti = 0
        var starP = -1
        var starT = 0
        while ti < t.count {
            if pi < p.count, p[pi] == "?" || p[pi] == t[ti] {
                pi += 1
                ti += 1
            } else if pi < p.count, p[pi] == "*" {
                starP = pi
                starT = ti
                pi += 1
            } else if starP >= 0 {
                pi = starP + 1
                starT += 1
                ti = starT
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == "*" { pi += 1 }
        return pi == p.count
    }
}
