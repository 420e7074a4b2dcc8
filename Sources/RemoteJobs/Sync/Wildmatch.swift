/// Git's `wildmatch()` (wildmatch.c), the glob dialect of `.gitignore`: `*` and `?` never
/// match `/` when `pathname` is set; `**` between slashes (or at either end) matches any
/// number of directories; `[...]` classes with ranges, `!`/`^` negation and `[:name:]`;
/// `\` escapes the next character. Works on bytes, as git does.
enum Wildmatch {
    private enum Outcome { case match, noMatch, abortAll, abortToStarStar }

    /// Whether `text` matches `pattern`.
    static func matches(_ pattern: [UInt8], _ text: [UInt8], pathname: Bool) -> Bool {
        match(pattern[...], text[...], pathname: pathname) == .match
    }

    private static let slash = UInt8(ascii: "/")
    private static let star = UInt8(ascii: "*")
    private static let backslash = UInt8(ascii: "\\")

    private static func match(_ pattern: ArraySlice<UInt8>, _ text: ArraySlice<UInt8>, pathname: Bool) -> Outcome {
        var p = pattern.startIndex
        var t = text.startIndex
        while p < pattern.endIndex {
            var pc = pattern[p]
            if t == text.endIndex && pc != star { return .abortAll }
            switch pc {
            case backslash:
                p += 1
                guard p < pattern.endIndex else { return .noMatch }
                pc = pattern[p]
                if text[t] != pc { return .noMatch }
            case UInt8(ascii: "?"):
                if pathname && text[t] == slash { return .noMatch }
            case star:
                var matchSlash: Bool
                let before = p
                p += 1
                if p < pattern.endIndex && pattern[p] == star {
                    while p < pattern.endIndex && pattern[p] == star { p += 1 }
                    let startsSegment = before == pattern.startIndex || pattern[before - 1] == slash
                    let endsSegment =
                        p == pattern.endIndex || pattern[p] == slash
                        || (pattern[p] == backslash && p + 1 < pattern.endIndex && pattern[p + 1] == slash)
                    if !pathname {
                        matchSlash = true
                    } else if startsSegment && endsSegment {
                        // "**/" may match no directory at all.
                        if p < pattern.endIndex && pattern[p] == slash
                            && match(pattern[(p + 1)...], text[t...], pathname: pathname) == .match
                        {
                            return .match
                        }
                        matchSlash = true
                    } else {
                        matchSlash = false
                    }
                } else {
                    matchSlash = !pathname
                }
                if p == pattern.endIndex {
                    if !matchSlash && text[t...].contains(slash) { return .abortToStarStar }
                    return .match
                }
                if !matchSlash && pattern[p] == slash {
                    guard let next = text[t...].firstIndex(of: slash) else { return .abortAll }
                    t = next
                    continue
                }
                while t < text.endIndex {
                    let outcome = match(pattern[p...], text[t...], pathname: pathname)
                    if outcome != .noMatch {
                        if !matchSlash || outcome != .abortToStarStar { return outcome }
                    } else if !matchSlash && text[t] == slash {
                        return .abortToStarStar
                    }
                    t += 1
                }
                return .abortAll
            case UInt8(ascii: "["):
                guard let (matched, end) = matchClass(pattern, from: p + 1, byte: text[t]) else { return .abortAll }
                if !matched || (pathname && text[t] == slash) { return .noMatch }
                p = end
            default:
                if text[t] != pc { return .noMatch }
            }
            p += 1
            t += 1
        }
        return t == text.endIndex ? .match : .noMatch
    }

    /// Matches `byte` against the class starting after `[`; returns whether it matched and
    /// the index of the closing `]`, or nil for an unterminated class.
    private static func matchClass(_ pattern: ArraySlice<UInt8>, from start: Int, byte: UInt8) -> (Bool, Int)? {
        var p = start
        guard p < pattern.endIndex else { return nil }
        var negated = false
        if pattern[p] == UInt8(ascii: "!") || pattern[p] == UInt8(ascii: "^") {
            negated = true
            p += 1
        }
        var matched = false
        var previous: UInt8?
        var first = true
        while p < pattern.endIndex {
            var c = pattern[p]
            if c == UInt8(ascii: "]") && !first { return (matched != negated, p) }
            first = false
            if c == backslash {
                p += 1
                guard p < pattern.endIndex else { return nil }
                c = pattern[p]
                if c == byte { matched = true }
                previous = c
            } else if c == UInt8(ascii: "-"), let low = previous, p + 1 < pattern.endIndex,
                pattern[p + 1] != UInt8(ascii: "]")
            {
                p += 1
                var high = pattern[p]
                if high == backslash {
                    p += 1
                    guard p < pattern.endIndex else { return nil }
                    high = pattern[p]
                }
                if low <= byte && byte <= high { matched = true }
                previous = nil
            } else if c == UInt8(ascii: "["), p + 1 < pattern.endIndex, pattern[p + 1] == UInt8(ascii: ":") {
                guard let close = findClassNameEnd(pattern, from: p + 2) else {
                    if c == byte { matched = true }
                    previous = c
                    p += 1
                    continue
                }
                let name = String(decoding: pattern[(p + 2)..<close], as: UTF8.self)
                if namedClass(name, contains: byte) { matched = true }
                p = close + 1
                previous = nil
            } else {
                if c == byte { matched = true }
                previous = c
            }
            p += 1
        }
        return nil
    }

    private static func findClassNameEnd(_ pattern: ArraySlice<UInt8>, from start: Int) -> Int? {
        var p = start
        while p + 1 < pattern.endIndex {
            if pattern[p] == UInt8(ascii: ":") && pattern[p + 1] == UInt8(ascii: "]") { return p }
            if pattern[p] == UInt8(ascii: "]") { return nil }
            p += 1
        }
        return nil
    }

    private static func namedClass(_ name: String, contains byte: UInt8) -> Bool {
        let c = Character(Unicode.Scalar(byte))
        switch name {
        case "alnum": return c.isASCII && (c.isLetter || c.isNumber)
        case "alpha": return c.isASCII && c.isLetter
        case "blank": return byte == 0x20 || byte == 0x09
        case "cntrl": return byte < 0x20 || byte == 0x7F
        case "digit": return (0x30...0x39).contains(byte)
        case "graph": return (0x21...0x7E).contains(byte)
        case "lower": return (0x61...0x7A).contains(byte)
        case "print": return (0x20...0x7E).contains(byte)
        case "punct": return (0x21...0x7E).contains(byte) && !(c.isLetter || c.isNumber)
        case "space": return [0x20, 0x09, 0x0A, 0x0B, 0x0C, 0x0D].contains(byte)
        case "upper": return (0x41...0x5A).contains(byte)
        case "xdigit": return c.isHexDigit
        default: return false
        }
    }
}
