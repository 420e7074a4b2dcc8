import Foundation
import SSHTransport

/// What a worker-side script left behind.
struct ScriptResult {
    var status: SSHExitStatus
    var control: ControlLines
}

extension JobEngine {
    /// Runs one of `RemoteScripts` on a pooled session: writes `stdin`, hands stdout to
    /// `stdout` as it arrives (with `framed`, only what follows the script's `p-log-begin`
    /// line, see `StdoutFramer`), parses the control lines on stderr (calling `onStart` for a
    /// `p-start`), and returns the exit status. A session found dead before the script
    /// started is replaced once (the script cannot have run).
    /// - Throws: `RemoteJobsError.connection` (naming `jobID`) when the connection fails;
    ///   `CancellationError` when the calling task is cancelled.
    func runScript(
        _ script: String, arguments: [String], stdin: [UInt8] = [], on worker: Worker, jobID: String?,
        framed: Bool = true, stdout: ([UInt8]) -> Void = { _ in },
        onStart: (ControlLines.Start) throws -> Void = { _ in }
    ) async throws -> ScriptResult {
        let target = try resolveTarget(worker)
        let command = ShellQuote.command(script: script, arguments: arguments)
        do {
            return try await pool.withExec(command, on: target) { exec in
                try await drive(exec, stdin: stdin, framed: framed, stdout: stdout, onStart: onStart)
            }
        } catch let error as SSHError {
            throw RemoteJobsError.connection(worker: worker.name, jobID: jobID, error)
        }
    }

    private func drive(
        _ exec: SSHExec, stdin: [UInt8], framed: Bool, stdout: ([UInt8]) -> Void,
        onStart: (ControlLines.Start) throws -> Void
    ) async throws -> ScriptResult {
        if !stdin.isEmpty { try await exec.write(stdin) }
        try await exec.closeInput()
        var control = ControlLines()
        var framer = StdoutFramer()
        while let chunk = try await exec.nextChunk() {
            switch chunk.stream {
            case .stdout:
                if framed {
                    let bytes = framer.feed(chunk.bytes)
                    if !bytes.isEmpty { stdout(bytes) }
                } else {
                    stdout(chunk.bytes)
                }
            case .stderr:
                if let start = control.feed(chunk.bytes) { try onStart(start) }
            }
        }
        return ScriptResult(status: try await exec.exitStatus(), control: control)
    }

    /// Runs a script and returns its stdout, for the small answers (reconcile, probe).
    func collectScript(_ script: String, arguments: [String], on worker: Worker) async throws -> (String, ScriptResult)
    {
        var bytes: [UInt8] = []
        let result = try await runScript(
            script, arguments: arguments, on: worker, jobID: nil, framed: false, stdout: { bytes += $0 })
        return (String(decoding: bytes, as: UTF8.self), result)
    }

    func resolveTarget(_ worker: Worker) throws(RemoteJobsError) -> SSHTarget {
        do {
            guard let sshConfigFile else { return try SSHTarget.resolve(worker.connection) }
            return try SSHTarget.resolve(worker.connection, config: SSHConfig.load(path: sshConfigFile))
        } catch {
            throw .connection(worker: worker.name, jobID: nil, error)
        }
    }
}
