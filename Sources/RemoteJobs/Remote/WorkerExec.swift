import SSHTransport

/// A command running on a worker, as the engine drives it: an exec channel on an SSH
/// worker (`SSHExec`), a local process on a `local` one (`LocalExec`).
protocol WorkerExec: AnyObject, Sendable {
    /// Writes to the command's stdin.
    func write(_ bytes: [UInt8]) async throws
    /// Closes the command's stdin.
    func closeInput() async throws
    /// The next chunk of stdout or stderr, or nil once both ended.
    func nextChunk() async throws -> SSHOutputChunk?
    /// How the command ended.
    func exitStatus() async throws -> SSHExitStatus
}

extension SSHExec: WorkerExec {}
extension SSHKeeperExec: WorkerExec {}
