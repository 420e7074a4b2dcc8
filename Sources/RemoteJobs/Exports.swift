@_exported import enum SSHTransport.SFTPFailureReason
@_exported import struct SSHTransport.SSHCredentials
@_exported import enum SSHTransport.SSHError
@_exported import enum SSHTransport.SSHHostKeyPolicy
@_exported import struct SSHTransport.SSHHostKeyQuestion
@_exported import struct SSHTransport.SSHPrompt
// The SSHTransport types that appear in RemoteJobs' own API, re-exported on purpose so that
// `import RemoteJobs` alone is enough to configure an engine (`SSHSessionOptions`, the
// pool's limits), to look inside a connection failure (`SSHError`) and to follow a sync's
// progress. The rest of SSHTransport (sessions, exec, SFTP) stays behind its own import.
@_exported import struct SSHTransport.SSHSessionOptions
@_exported import class SSHTransport.SSHSessionPool
@_exported import struct SSHTransport.TransferProgress
@_exported import typealias SSHTransport.TransferProgressHandler
// The keeper a JobEngine may run its commands through (`JobEngine(keeper:)`), and where it
// listens.
@_exported import class SSHTransport.SSHKeeperClient
@_exported import struct SSHTransport.SSHKeeperPlace
@_exported import struct SSHTransport.SSHKeeperStatus
