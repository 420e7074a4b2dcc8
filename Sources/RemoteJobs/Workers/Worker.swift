/// A machine registered under a name, reached through a connection string.
public struct Worker: Codable, Sendable, Equatable {
    /// The name used on the command line (`p beefy -- make`).
    public var name: String
    /// `user@host`, `user@host:port`, `host`, or an alias from `~/.ssh/config`.
    public var connection: String
    /// Where p keeps its files on the worker; nil means `~/.p`.
    public var root: String?

    /// A worker entry.
    public init(name: String, connection: String, root: String? = nil) {
        self.name = name
        self.connection = connection
        self.root = root
    }

    /// The root in the form the worker-side scripts take: relative paths are relative to
    /// the login directory, where sshd starts commands, so `~/x` becomes `x`.
    public var remoteRoot: String {
        guard var root, !root.isEmpty else { return ".p" }
        if root == "~" { return "." }
        if root.hasPrefix("~/") { root.removeFirst(2) }
        return root
    }

    /// Names `p` itself uses as commands, so `p <name> -- ...` could not name a worker.
    public static let reservedNames: Set<String> = [
        "run", "ls", "logs", "stop", "pull", "rm", "prune", "worker", "help", "mcp", "wait",
    ]

    /// Whether `name` is usable: letters, digits, `.`, `_`, `-`, not starting with `-`, and
    /// not one of p's commands.
    public static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first != "-", name.count <= 64, !reservedNames.contains(name)
        else { return false }
        return name.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0)
                || "._-".unicodeScalars.contains($0)
        }
    }
}
