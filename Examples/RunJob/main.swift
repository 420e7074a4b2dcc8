// Runs a command as a p job from Swift: submits it, streams its output by polling byte
// offsets, and exits with the job's exit code.
//
//   swift run RunJob <worker> <command...>
//
// It uses p's own files (the workers `p worker register` recorded, the job records `p ls`
// shows), so the job is an ordinary p job.
import Foundation
import RemoteJobs

let arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.count >= 2 else {
    FileHandle.standardError.write(Data("usage: RunJob <worker> <command...>\n".utf8))
    exit(2)
}

let engine = JobEngine()  // XDG files, a pool of SSH sessions
do {
    let job = try await engine.submit(
        JobRequest(command: arguments.dropFirst().joined(separator: " "), worker: arguments[0]))
    FileHandle.standardError.write(Data("started job \(job.shortID) on \(job.worker)\n".utf8))
    var offset: UInt64 = 0
    var record = job
    while true {
        // Bounded pieces from a byte offset: a large backlog never has to fit in memory.
        let poll = try await engine.poll(job.id, since: offset, maxBytes: 65_536)
        FileHandle.standardOutput.write(Data(poll.chunk))
        offset = poll.newOffset
        record = poll.record
        if !record.status.isRunning && !poll.more { break }
        if poll.chunk.isEmpty { try await Task.sleep(for: .milliseconds(100)) }
    }
    await engine.close()
    FileHandle.standardError.write(Data("job \(record.shortID): \(record.status.display)\n".utf8))
    exit(record.status.reportedExitCode ?? 1)
} catch let error as RemoteJobsError {
    await engine.close()
    FileHandle.standardError.write(Data("RunJob: \(error)\n".utf8))
    // Failures are values: a connection failure carries the SSHError that says why
    // (refused, host key changed, authentication), with no `import SSHTransport`.
    if case .connection(_, _, .hostKeyChanged) = error { exit(3) }
    exit(error.isConnectionFailure ? 255 : 1)
} catch {
    await engine.close()
    FileHandle.standardError.write(Data("RunJob: \(error)\n".utf8))
    exit(1)
}
