import Foundation

/// Where p keeps its files on the client, following the XDG base directory rules.
public struct PPaths: Sendable, Equatable {
    /// The directory of `config.yaml`: `$XDG_CONFIG_HOME/p`, else `~/.config/p`.
    public var configDirectory: String
    /// The directory of job records and sync manifests: `$XDG_DATA_HOME/p`, else
    /// `~/.local/share/p`.
    public var dataDirectory: String

    /// Paths under explicit directories (tests, embedding programs).
    public init(configDirectory: String, dataDirectory: String) {
        self.configDirectory = configDirectory
        self.dataDirectory = dataDirectory
    }

    /// The paths an environment names (`XDG_CONFIG_HOME`, `XDG_DATA_HOME`, `HOME`).
    /// Relative XDG values are ignored, as the specification says.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let home = environment["HOME"] ?? NSHomeDirectory()
        func base(_ key: String, _ fallback: String) -> String {
            if let value = environment[key], value.hasPrefix("/") { return value }
            return home + "/" + fallback
        }
        configDirectory = base("XDG_CONFIG_HOME", ".config") + "/p"
        dataDirectory = base("XDG_DATA_HOME", ".local/share") + "/p"
    }

    /// `config.yaml`.
    public var configFile: String { configDirectory + "/config.yaml" }
    /// The directory of job records, one `<uuid>.json` each.
    public var jobsDirectory: String { dataDirectory + "/jobs" }
}
