import ArgumentParser
import Foundation
import SSHTransport

/// ssh-style connection options shared by p's hidden transport commands.
struct TargetOptions: ParsableArguments {
    @Option(name: .customShort("l"), help: "The remote user.")
    var user: String?

    @Option(name: .customShort("p"), help: "The remote port.")
    var port: Int?

    @Option(name: .customShort("i"), help: "An identity file.")
    var identityFiles: [String] = []

    @Option(name: .customShort("F"), help: "An ssh configuration file instead of ~/.ssh/config.")
    var configFile: String?

    @Option(name: .customShort("o"), help: "An ssh_config option as Keyword=value.")
    var options: [String] = []

    /// Resolves `host` with these options placed before the configuration file, so that
    /// they win, as on ssh's command line.
    func resolve(_ host: String) throws -> SSHTarget {
        let home = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
        var lines = options.map { option -> String in
            let parts = option.split(separator: "=", maxSplits: 1)
            return parts.count == 2 ? "\(parts[0]) \(parts[1])" : option
        }
        lines += identityFiles.map { "IdentityFile \($0)" }
        if let port { lines.append("Port \(port)") }
        if let user { lines.append("User \(user)") }
        let fileText = (try? String(contentsOfFile: configFile ?? home + "/.ssh/config", encoding: .utf8)) ?? ""
        let config = try SSHConfig.parse(
            lines.joined(separator: "\n") + "\n" + fileText, name: configFile ?? "~/.ssh/config",
            includeBase: home + "/.ssh")
        return try SSHTarget.resolve(host, config: config)
    }
}
