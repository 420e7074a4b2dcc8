import Foundation

/// `~` and glob expansion for paths in ssh configuration, and the user's home directory.
enum SSHPathExpansion {
    /// The home directory: `$HOME`, else the password database's entry.
    static var homeDirectory: String {
        if let home = ProcessInfo.processInfo.environment["HOME"], !home.isEmpty { return home }
        if let entry = getpwuid(getuid()), let dir = entry.pointee.pw_dir { return String(cString: dir) }
        return "/"
    }

    /// The local user's login name: `$USER`, else the password database's entry.
    static var localUser: String {
        if let user = ProcessInfo.processInfo.environment["USER"], !user.isEmpty { return user }
        if let entry = getpwuid(getuid()), let name = entry.pointee.pw_name { return String(cString: name) }
        return "root"
    }

    static func expandTilde(_ path: String) -> String {
        if path == "~" { return homeDirectory }
        if path.hasPrefix("~/") { return homeDirectory + path.dropFirst(1) }
        return path
    }

    /// The files matching a shell glob, sorted; the pattern itself when it has no wildcard
    /// and exists.
    static func glob(_ pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard Platform.glob(pattern, &result) == 0 else { return [] }
        return (0..<Int(result.gl_pathc)).compactMap { index in
            result.gl_pathv[index].map { String(cString: $0) }
        }.sorted()
    }

    /// Replaces OpenSSH's `%` tokens: `%h` host name, `%p` port, `%r` remote user,
    /// `%u` local user, `%d` home directory, `%n` the name as typed, `%%` a percent sign.
    static func expandTokens(_ text: String, tokens: [Character: String]) -> String {
        var output = ""
        var iterator = text.makeIterator()
        while let character = iterator.next() {
            guard character == "%" else {
                output.append(character)
                continue
            }
            guard let key = iterator.next() else {
                output.append("%")
                break
            }
            if key == "%" {
                output.append("%")
            } else if let value = tokens[key] {
                output += value
            } else {
                output.append("%")
                output.append(key)
            }
        }
        return output
    }
}
