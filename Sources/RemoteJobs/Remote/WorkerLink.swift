import Foundation
import SSHTransport

/// A worker as the engine reaches it: over SSH, on the engine's session pool, or, for a
/// `local` worker, by a shell on this machine. Runs p's worker-side scripts there (each
/// through `RemoteScripts.invocation`, with a token of its own) and plain commands.
struct WorkerLink: Sendable {
    /// How a worker's commands are run.
    enum Access: Sendable {
        /// Over SSH: exec channels on the pool's sessions to the target.
        case ssh(target: SSHTarget, pool: SSHSessionPool)
        /// By `/bin/sh` on this machine (`LocalExec`).
        case local
    }

    let worker: Worker
    let access: Access
    /// The user's keeper, which carries SSH commands over sessions it already holds; nil
    /// (or a keeper that cannot be had) means the engine's own pool.
    var keeper: SSHKeeperClient? = nil

    /// The SSH target and pool, for the steps only SSH has (SFTP, rsync); nil for a local
    /// worker.
    var ssh: (target: SSHTarget, pool: SSHSessionPool)? {
        if case .ssh(let target, let pool) = access { return (target, pool) }
        return nil
    }

    /// Whether the worker is this machine.
    var isLocal: Bool { ssh == nil }

    /// Runs `script`: writes its input, hands its stdout to `stdout` as it arrives (never
    /// what the login shell printed before it, see `StdoutFramer`), parses the control lines
    /// on stderr (calling `onEvent` for a `p-start`, `p-slurm` or `p-state`), and returns how it ended. A session
    /// found dead before the script started is replaced once (the script cannot have run).
    /// - Throws: `RemoteJobsError.connection` (naming `jobID`) when the connection fails;
    ///   `CancellationError` when the calling task is cancelled.
    /// - Parameter onExec: called once the script's channel is open (before that, nothing
    ///   can have run on the worker).
    func run<Script: WorkerScript>(
        _ script: Script, jobID: String? = nil, onExec: () -> Void = {}, stdout: ([UInt8]) async -> Void = { _ in },
        onEvent: (ControlLines.Event) async throws -> Void = { _ in }
    ) async throws -> ScriptResult {
        let token = Self.newToken()
        let command = ShellQuote.command(
            script: RemoteScripts.invocation(Script.source), arguments: [token] + script.words)
        let input = script.input
        switch access {
        case .ssh(let target, let pool):
            do {
                return try await withSSHExec(command, target: target, pool: pool) { exec in
                    onExec()
                    return try await Self.drive(exec, token: token, input: input, stdout: stdout, onEvent: onEvent)
                }
            } catch let error as SSHError {
                throw RemoteJobsError.connection(worker: worker.name, jobID: jobID, error)
            }
        case .local:
            let exec = try LocalExec(command)
            defer { exec.hangUp() }
            onExec()
            return try await Self.drive(exec, token: token, input: input, stdout: stdout, onEvent: onEvent)
        }
    }

    /// Runs `script` to its end and returns its answer. A script that only reads
    /// (`repeatable`) and was cut off by the keeper's end runs once more, directly.
    func ask<Script: AnsweringScript>(_ script: Script) async throws -> Script.Answer {
        var output: [UInt8] = []
        func once() async throws -> ScriptResult {
            output = []
            return try await run(script, stdout: { output += $0 })
        }
        let result = Script.repeatable ? try await Self.againIfKeeperLost(once) : try await once()
        return try script.answer(stdout: output, result: result, worker: worker.name)
    }

    /// Runs `body` on a plain command running `command` (a line for the login shell).
    /// - Throws: `RemoteJobsError.connection` when the connection fails, or what `body` throws.
    func withExec<T>(_ command: String, _ body: (any WorkerExec) async throws -> T) async throws -> T {
        switch access {
        case .ssh(let target, let pool):
            do {
                return try await withSSHExec(command, target: target, pool: pool, body)
            } catch let error as SSHError {
                throw RemoteJobsError.connection(worker: worker.name, jobID: nil, error)
            }
        case .local:
            let exec = try LocalExec(command)
            defer { exec.hangUp() }
            return try await body(exec)
        }
    }

    /// Runs `body` on `command` started through the keeper, or on the pool when no keeper
    /// can carry it; the command is hung up if `body` throws.
    private func withSSHExec<T>(
        _ command: String, target: SSHTarget, pool: SSHSessionPool, _ body: (any WorkerExec) async throws -> T
    ) async throws -> T {
        if let keeper, let exec = try await keeper.exec(command, on: target) {
            do {
                return try await body(exec)
            } catch {
                exec.close()
                throw error
            }
        }
        return try await pool.withExec(command, on: target) { exec in try await body(exec) }
    }

    /// Runs `body`, and once more when the keeper ended under it: the link then connects
    /// directly. For steps that may run again: a stream from the offset it reads when
    /// called (so nothing is lost or repeated), a tar stream into a job's fresh directory.
    static func againIfKeeperLost<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as RemoteJobsError where error.isKeeperLoss {
            return try await body()
        } catch SSHError.keeperLost {
            return try await body()
        }
    }

    /// A token for one script run: random, so no login file can print it by chance.
    static func newToken() -> String {
        String(UInt64.random(in: 1...UInt64.max), radix: 36)
    }

    private static func drive(
        _ exec: any WorkerExec, token: String, input: [UInt8], stdout: ([UInt8]) async -> Void,
        onEvent: (ControlLines.Event) async throws -> Void
    ) async throws -> ScriptResult {
        if !input.isEmpty { try await exec.write(input) }
        try await exec.closeInput()
        var control = ControlLines(token: token)
        var framer = StdoutFramer(token: token)
        while let chunk = try await exec.nextChunk() {
            switch chunk.stream {
            case .stdout:
                let bytes = framer.feed(chunk.bytes)
                if !bytes.isEmpty { await stdout(bytes) }
            case .stderr:
                for event in control.feed(chunk.bytes) { try await onEvent(event) }
            }
        }
        return ScriptResult(status: try await exec.exitStatus(), control: control)
    }
}
