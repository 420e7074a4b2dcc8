import Foundation

/// The p process preparing a job (syncing its directory, starting it): a job in that state
/// is held by it, and once that process is gone without starting the job, the job never
/// will start. Identified by host, pid and, where the system says, the process's start
/// time, so a later process that got the same pid is not taken for it.
public struct ClientProcess: Sendable, Equatable, Codable {
    /// The process id.
    public var pid: Int32
    /// The host name of the machine it runs on.
    public var host: String
    /// When it started, in the system's own units (Linux: clock ticks since boot), where
    /// known.
    public var started: UInt64?

    /// A process.
    public init(pid: Int32, host: String, started: UInt64?) {
        self.pid = pid
        self.host = host
        self.started = started
    }

    /// This process.
    public static let current = ClientProcess(pid: getpid(), host: hostName(), started: startTime(of: getpid()))

    /// Whether it still runs: false only when it is known to be gone (same host, and no
    /// such process, or another one with its pid). A process on another host counts as
    /// alive: p cannot tell.
    public var isAlive: Bool {
        guard host == Self.current.host else { return true }
        if kill(pid, 0) != 0 && errno == ESRCH { return false }
        if let started, let now = Self.startTime(of: pid), now != started { return false }
        return true
    }

    static func hostName() -> String {
        var name = [CChar](repeating: 0, count: 256)
        gethostname(&name, name.count - 1)
        return String(decoding: name.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// When `pid` started, where the system says (see `Platform.processStartTime`).
    static func startTime(of pid: Int32) -> UInt64? { Platform.processStartTime(pid) }
}
