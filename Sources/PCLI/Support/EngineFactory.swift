import Foundation
import RemoteJobs
import SSHTransport

/// The engine the commands use: XDG paths, sessions that ask on the terminal for
/// passphrases, passwords and (when allowed) unknown host keys.
enum EngineFactory {
    /// How an unknown host key is treated by this command.
    enum HostKeys {
        /// As `~/.ssh/config` says, strict by default.
        case configured
        /// Record it after asking on the terminal; refuse without one.
        case askOnTerminal
        /// Record it without asking (`--accept-new-host-key`).
        case acceptNew
    }

    /// An engine whose SSH commands go through the user's keeper (started when none runs)
    /// unless `keeper` is false or the keeper is turned off; `onRoute` hears which way they
    /// went (`-v`).
    static func make(
        hostKeys: HostKeys = .configured, connectTimeout: Duration = .seconds(10), keeper: Bool = true,
        onRoute: (@Sendable (String) -> Void)? = nil
    ) async -> JobEngine {
        let options = options(hostKeys: hostKeys, connectTimeout: connectTimeout)
        let client = keeper ? await KeeperSettings.load().client(options: options, onRoute: onRoute) : nil
        return JobEngine(options: options, rsyncRemoteShell: selfExecutable.map { [$0, "_exec"] }, keeper: client)
    }

    /// Runs `body` with an engine and closes the engine (its pooled sessions, its poll
    /// servers) before returning or throwing, so nothing is left to a task that the
    /// process's exit would cut short.
    static func withEngine<T>(
        hostKeys: HostKeys = .configured, connectTimeout: Duration = .seconds(10),
        onRoute: (@Sendable (String) -> Void)? = nil, _ body: (JobEngine) async throws -> T
    ) async throws -> T {
        let engine = await make(hostKeys: hostKeys, connectTimeout: connectTimeout, onRoute: onRoute)
        do {
            let result = try await body(engine)
            await engine.close()
            return result
        } catch {
            await engine.close()
            throw error
        }
    }

    /// This program's own path, so the local rsync can run it as its remote shell.
    static var selfExecutable: String? {
        if let path = Platform.executablePath { return path }
        let first = CommandLine.arguments.first ?? ""
        return first.hasPrefix("/") ? first : nil
    }

    static func options(hostKeys: HostKeys, connectTimeout: Duration = .seconds(10)) -> SSHSessionOptions {
        let interactive = TerminalPrompt.isAvailable
        let policy: SSHHostKeyPolicy?
        switch hostKeys {
        case .configured: policy = nil
        case .acceptNew: policy = .acceptNew
        case .askOnTerminal:
            policy =
                interactive
                ? .ask { question in
                    TerminalPrompt.confirm(
                        "The authenticity of host '\(question.host)' can't be established.\n"
                            + "\(question.keyType) key fingerprint is \(question.fingerprint).\n"
                            + "Record it in \(question.knownHostsFile) and continue?")
                } : .strict
        }
        let credentials =
            interactive
            ? SSHCredentials(
                passphrase: { TerminalPrompt.ask("Enter passphrase for \($0): ", echo: false) },
                password: { TerminalPrompt.ask("\($0)@\($1)'s password: ", echo: false) },
                keyboardInteractive: { _, instruction, prompts in
                    if !instruction.isEmpty { FileHandle.standardError.write(Data((instruction + "\n").utf8)) }
                    var answers: [String] = []
                    for prompt in prompts {
                        guard let answer = TerminalPrompt.ask(prompt.text, echo: prompt.echo) else { return nil }
                        answers.append(answer)
                    }
                    return answers
                }) : SSHCredentials()
        // Commands that only look (ls, prune, worker ls) pass a short connect timeout; the
        // handshake gets a bound in proportion, so a worker that accepts TCP but never
        // speaks SSH cannot hold the listing for long. (A silent peer is bounded by the
        // ssh config's ServerAlive settings, else 30 s.)
        return SSHSessionOptions(
            hostKeyPolicy: policy, credentials: credentials, connectTimeout: connectTimeout,
            setupTimeout: max(connectTimeout * 2, .seconds(10)))
    }
}
