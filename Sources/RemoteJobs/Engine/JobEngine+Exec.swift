import Foundation
import SSHTransport

extension JobEngine {
    /// Runs a short command on a worker to completion, as `ssh host command` would, on a
    /// pooled session: no job, no record, nothing left on the worker.
    /// - Parameters:
    ///   - command: the command line, run by the worker login's shell.
    ///   - name: the worker's name; nil means the default one.
    ///   - timeout: how long it may run; then its channel is closed (the server usually ends
    ///     the command) and `RemoteJobsError.timedOut` is thrown.
    ///   - outputLimit: bytes kept of stdout and of stderr each; the rest is dropped.
    /// - Returns: stdout, stderr and the exit status.
    public func execute(
        _ command: String, worker name: String? = nil, timeout: Duration = .seconds(60), outputLimit: Int = 1 << 20
    ) async throws -> SSHExecResult {
        let worker = try await loadWorkers().worker(named: name)
        let result = try await link(worker).withExec(command) { exec in
            try await withTimeLimit(timeout) {
                try await exec.closeInput()
                var stdout: [UInt8] = []
                var stderr: [UInt8] = []
                while let chunk = try await exec.nextChunk() {
                    if chunk.stream == .stdout {
                        if stdout.count < outputLimit { stdout += chunk.bytes.prefix(outputLimit - stdout.count) }
                    } else if stderr.count < outputLimit {
                        stderr += chunk.bytes.prefix(outputLimit - stderr.count)
                    }
                }
                return SSHExecResult(stdout: stdout, stderr: stderr, status: try await exec.exitStatus())
            }
        }
        guard let result else { throw RemoteJobsError.timedOut(action: "the command", after: timeout) }
        return result
    }
}
