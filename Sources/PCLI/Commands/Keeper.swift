import ArgumentParser
import Foundation
import RemoteJobs
import SSHTransport

/// `p keeper`: the process that keeps p's SSH sessions open between commands.
struct KeeperCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keeper",
        abstract: "Show or stop the keeper that holds p's SSH sessions between commands.",
        discussion: """
            The first command that needs a worker starts the keeper; later commands run over the
            sessions it holds, so they pay for a channel rather than a login. It leaves after
            10 minutes without a command; P_KEEPER_IDLE or keeper_idle in config.yaml change
            that, and 0 turns the keeper off (every command then connects directly). Its socket
            is in $XDG_RUNTIME_DIR/p (else /tmp/p-keeper-UID), private to you.
            """,
        subcommands: [KeeperStatus.self, KeeperStop.self],
        defaultSubcommand: KeeperStatus.self
    )
}

/// `p keeper status`.
struct KeeperStatus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show what the keeper holds: workers, sessions, channels, idle time.")

    @Flag(help: "Print the status as JSON (null when no keeper runs).")
    var json = false

    func run() async throws {
        let settings = await KeeperSettings.load()
        let client = SSHKeeperClient(place: settings.place, options: SSHSessionOptions())
        let status = await client.status()
        if json {
            let data = try JSONEncoder.sortedKeys.encode(status)
            print(String(decoding: data, as: UTF8.self))
            return
        }
        guard let status else {
            let state = settings.idle > .zero ? "the next command that needs a worker starts one" : "it is turned off"
            print("No keeper runs (\(state)).")
            return
        }
        print(
            "Keeper pid \(status.pid), up \(Self.format(status.uptimeSeconds)), idle \(Self.format(status.idleSeconds)) of \(Self.format(status.idleLimitSeconds)); \(status.sessionsOpened) logins, \(status.channelsCarried) channels carried."
        )
        if status.held.isEmpty {
            print("It holds no session.")
        } else {
            let rows =
                [["TARGET", "SESSIONS", "CHANNELS"]]
                + status.held.map {
                    [$0.target, String($0.sessions), String($0.channels)]
                }
            let widths = (0..<3).map { column in rows.map { $0[column].count }.max() ?? 0 }
            for row in rows {
                print(
                    row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }
                        .joined(separator: "  ").trimmingCharacters(in: .whitespaces))
            }
        }
    }

    static func format(_ seconds: Double) -> String {
        seconds < 120 ? "\(Int(seconds.rounded())) s" : "\(Int((seconds / 60).rounded())) min"
    }
}

/// `p keeper stop`.
struct KeeperStop: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop",
        abstract: "Close the keeper's sessions and stop it (the next command starts a new one).")

    func run() async throws {
        let settings = await KeeperSettings.load()
        let client = SSHKeeperClient(place: settings.place, options: SSHSessionOptions())
        if let status = await client.stop() {
            print("Stopped the keeper (pid \(status.pid)); it held \(status.held.count) target(s).")
        } else {
            print("No keeper runs.")
        }
    }
}

/// `p _keeper`: the keeper itself, started by p.
struct KeeperServe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "_keeper",
        abstract: "Serve as the keeper of p's SSH sessions (p starts it).",
        shouldDisplay: false)

    @Option(help: "Leave after this long without a command.")
    var idle: DurationArgument = DurationArgument(KeeperSettings.defaultIdle)

    func run() async throws {
        // A session of its own already; a hang-up or an interrupt meant for a terminal is
        // not for the keeper, and a client gone mid-write is an error on that socket only.
        signal(SIGHUP, SIG_IGN)
        signal(SIGINT, SIG_IGN)
        signal(SIGPIPE, SIG_IGN)
        let place = SSHKeeperPlace.forUser()
        do {
            _ = try await SSHKeeper.serve(at: place, idleLimit: idle.duration)
        } catch {
            Report.error("\(error)")
            throw ExitCode(1)
        }
    }
}

extension JSONEncoder {
    /// An encoder with sorted keys, for output scripts compare.
    static var sortedKeys: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}
