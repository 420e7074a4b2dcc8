/// A command running on a server, over a session of this process's (`SSHExec`) or of the
/// keeper's (`SSHKeeperExec`): what a caller that does not care which needs.
public protocol SSHRunningCommand: AnyObject, Sendable {
    /// Writes all of `bytes` to the command's stdin.
    func write(_ bytes: [UInt8]) async throws
    /// Closes the command's stdin.
    func closeInput() async throws
    /// The next chunk of stdout or stderr, or nil once both ended.
    func nextChunk() async throws -> SSHOutputChunk?
    /// Waits for the command to end and returns how it ended.
    func exitStatus() async throws -> SSHExitStatus
    /// Hangs the command up now.
    func close()
}

extension SSHExec: SSHRunningCommand {}
extension SSHKeeperExec: SSHRunningCommand {}
