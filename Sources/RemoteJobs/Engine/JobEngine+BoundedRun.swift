import Foundation
import Synchronization

/// How a command run to completion within a time limit came out (`JobEngine.run(_:within:)`).
public enum BoundedRun: Sendable {
    /// It ended in time: how (its record), its stdout and its stderr. Nothing of it is left:
    /// its record and its files on the worker are removed.
    case ended(JobRecord, stdout: [UInt8], stderr: [UInt8])
    /// It outlived the limit and runs on as a job: its record, and the stdout read so far
    /// (the stream was detached; the job's log holds everything from byte 0).
    case stillRunning(JobRecord, stdoutSoFar: [UInt8])
}

extension JobEngine {
    /// Runs `request` as a job with its stderr kept apart, following it for up to `limit`:
    /// a command that ends in time is answered like a plain command and leaves nothing
    /// behind; one that outlives the limit is handed back as a running job instead of being
    /// ended, so no work is lost to a limit set too short (`p mcp`'s `exec`).
    /// - Throws: what `run` throws (the job could not be started, say).
    public func run(_ request: JobRequest, within limit: Duration) async throws -> BoundedRun {
        var job = request
        job.separateStderr = true
        let id = job.id ?? UUID().uuidString.lowercased()
        job.id = id
        let collected = BoundedOutput()
        let started = job
        let ended = try await withTimeLimit(limit) {
            try await self.run(started) { collected.append($0) }
        }
        guard let ended else {
            return .stillRunning(try await loadRecord(id), stdoutSoFar: collected.bytes)
        }
        let stderr = (try? await errorOutput(id)) ?? []
        _ = try? await remove(id)
        return .ended(ended, stdout: collected.bytes, stderr: stderr)
    }
}

/// The stdout a bounded run has read so far: appended to by the following task, read by
/// the one that waits.
private final class BoundedOutput: Sendable {
    private let collected = Mutex<[UInt8]>([])

    func append(_ bytes: [UInt8]) { collected.withLock { $0 += bytes } }
    var bytes: [UInt8] { collected.withLock { $0 } }
}
