import Foundation
import RemoteJobs
import SSHTransport

/// Whether and how p's commands use the keeper: `P_KEEPER_IDLE` when set, else
/// `keeper_idle` in config.yaml, else 10 minutes; `0` turns the keeper off (every command
/// connects directly, as before there was one).
struct KeeperSettings: Sendable {
    /// How long the keeper stays after its last command; zero for no keeper.
    var idle: Duration
    /// Where the keeper listens.
    var place: SSHKeeperPlace
    /// Set when a value could not be read: said once, and the keeper is then off.
    var problem: String?

    static let defaultIdle = Duration.seconds(600)

    /// The settings for this user, config.yaml read on a thread outside the cooperative pool.
    static func load(environment: [String: String] = ProcessInfo.processInfo.environment) async -> KeeperSettings {
        let place = SSHKeeperPlace.forUser(environment: environment)
        if let text = environment["P_KEEPER_IDLE"] {
            return settings(text, source: "P_KEEPER_IDLE", place: place)
        }
        let configured = try? await BlockingWork.run { try WorkerConfig.read(from: PPaths()).keeperIdle }
        guard let text = configured ?? nil else { return KeeperSettings(idle: defaultIdle, place: place) }
        return settings(text, source: "keeper_idle in config.yaml", place: place)
    }

    private static func settings(_ text: String, source: String, place: SSHKeeperPlace) -> KeeperSettings {
        guard let idle = DurationArgument.parse(text.trimmingCharacters(in: .whitespaces)) else {
            return KeeperSettings(
                idle: .zero, place: place,
                problem:
                    "\(source) is '\(text)', not a duration (600, 10m, 1h; 0 turns the keeper off); p connects directly"
            )
        }
        return KeeperSettings(idle: idle, place: place)
    }

    /// A client of the user's keeper for commands that connect with `options`, starting
    /// one (`p _keeper`) when none runs; nil when the keeper is off. `onRoute` hears which
    /// way commands went (for `-v`).
    func client(options: SSHSessionOptions, onRoute: (@Sendable (String) -> Void)? = nil) -> SSHKeeperClient? {
        if let problem { Report.note("p: " + problem) }
        guard idle > .zero, let executable = EngineFactory.selfExecutable else {
            onRoute?("directly (the keeper is turned off)")
            return nil
        }
        let place = self.place
        let arguments = ["_keeper", "--idle", String(idle.inSeconds)]
        return SSHKeeperClient(
            place: place, options: options,
            start: { KeeperLauncher.start(executable: executable, arguments: arguments, place: place) },
            onRoute: onRoute)
    }
}
