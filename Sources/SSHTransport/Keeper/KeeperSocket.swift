import Foundation

/// Where a user's keeper listens, and the checks that make its socket as private as
/// OpenSSH's ControlPath: a directory of the user's own with mode 0700 (not a link, not
/// shared), the socket inside it, and the peer's uid checked on both ends of every
/// connection. No TCP listener exists.
public struct SSHKeeperPlace: Sendable, Equatable {
    /// The private directory that holds the socket, the lock and the pid file.
    public let directory: String

    /// The keeper's place in `directory`.
    public init(directory: String) {
        self.directory = directory
    }

    /// The place for this user: `$XDG_RUNTIME_DIR/p`, else `p-keeper-UID` in the temporary
    /// directory (`$TMPDIR`, else `/tmp`).
    public static func forUser(environment: [String: String] = ProcessInfo.processInfo.environment)
        -> SSHKeeperPlace
    {
        if let runtime = environment["XDG_RUNTIME_DIR"], runtime.hasPrefix("/") {
            return SSHKeeperPlace(directory: runtime + "/p")
        }
        var temporary = environment["TMPDIR"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? "/tmp"
        while temporary.count > 1 && temporary.hasSuffix("/") { temporary.removeLast() }
        return SSHKeeperPlace(directory: temporary + "/p-keeper-\(getuid())")
    }

    /// The keeper's socket.
    public var socketPath: String { directory + "/keeper.sock" }
    /// The lock only a running keeper holds.
    var lockPath: String { directory + "/keeper.lock" }
    /// The running keeper's pid.
    public var pidPath: String { directory + "/keeper.pid" }

    /// Makes the directory when missing and checks it: owned by this user, a directory (not
    /// a link to one), no access for group or others.
    /// - Throws: `SSHKeeperUnavailable` saying what is wrong.
    func prepare() throws(SSHKeeperUnavailable) {
        let parent = (directory as NSString).deletingLastPathComponent
        if mkdir(directory, 0o700) != 0 && errno != EEXIST {
            if errno == ENOENT && mkdir(parent, 0o700) == 0 && mkdir(directory, 0o700) == 0 {
                // The parent was missing (a runtime directory not made yet): made private.
            } else {
                throw SSHKeeperUnavailable("cannot create \(directory): \(String(cString: strerror(errno)))")
            }
        }
        try check()
    }

    /// Checks the directory as `prepare` does, without creating it.
    func check() throws(SSHKeeperUnavailable) {
        var info = stat()
        guard lstat(directory, &info) == 0 else {
            throw SSHKeeperUnavailable("\(directory): \(String(cString: strerror(errno)))")
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw SSHKeeperUnavailable("\(directory) is not a directory")
        }
        guard info.st_uid == getuid() else {
            throw SSHKeeperUnavailable("\(directory) belongs to uid \(info.st_uid), not to this user")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw SSHKeeperUnavailable(
                "\(directory) is open to other users (mode \(String(info.st_mode & 0o777, radix: 8)))")
        }
    }

    /// The pid the keeper wrote, if any.
    public var recordedPID: pid_t? {
        (try? String(contentsOfFile: pidPath, encoding: .utf8))
            .flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }
}

/// Why no keeper can carry a command: p then connects directly.
public struct SSHKeeperUnavailable: Error, Sendable, CustomStringConvertible {
    /// What went wrong, for `-v`.
    public var description: String

    init(_ description: String) {
        self.description = description
    }
}

/// The socket calls the keeper and its clients share.
enum KeeperSocket {
    /// `sockaddr_un` for `path`, or nil when the path is too long for one.
    static func address(_ path: String) -> sockaddr_un? {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else { return nil }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in bytes.enumerated() { buffer[index] = byte }
            buffer[bytes.count] = 0
        }
        return address
    }

    /// A new Unix stream socket, close-on-exec, that never raises SIGPIPE.
    static func make() -> Int32 {
        let socket = Foundation.socket(AF_UNIX, Platform.streamSocket, 0)
        guard socket >= 0 else { return -1 }
        _ = fcntl(socket, F_SETFD, FD_CLOEXEC)
        Platform.noSigPipe(socket)
        return socket
    }

    /// A socket connected to the keeper at `path` whose process runs as this user.
    /// - Throws: `KeeperConnectFailure` with the `errno` of a failed connect (ENOENT or
    ///   ECONNREFUSED: no keeper listens; EPERM: another user's process answered).
    static func connect(_ path: String) throws(KeeperConnectFailure) -> Int32 {
        guard var address = address(path) else { throw KeeperConnectFailure(code: ENAMETOOLONG) }
        let socket = make()
        guard socket >= 0 else { throw KeeperConnectFailure(code: errno) }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Foundation.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else {
            let code = errno
            close(socket)
            throw KeeperConnectFailure(code: code)
        }
        guard let uid = Platform.peerUID(socket), uid == getuid() else {
            close(socket)
            throw KeeperConnectFailure(code: EPERM)
        }
        return socket
    }

    /// Reads one whole frame (blocking); nil when the connection ends first, fails, breaks
    /// the protocol, or sends more than that one frame (neither side sends a second before
    /// it is answered).
    static func readFrame(_ socket: Int32) -> (kind: KeeperFrame.Kind, payload: [UInt8])? {
        var reader = KeeperFrameReader()
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            do {
                if let frame = try reader.next() { return reader.pendingCount == 0 ? frame : nil }
            } catch {
                return nil
            }
            let count = recv(socket, &buffer, buffer.count, 0)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return nil }
            buffer.withUnsafeBytes { reader.feed(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        }
    }

    /// Writes all of `bytes` (blocking).
    static func writeAll(_ socket: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes {
                Foundation.send(socket, $0.baseAddress, $0.count, Platform.sendFlags)
            }
            if written < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += written
        }
        return true
    }
}

/// A failed connect to the keeper's socket, with its `errno`.
struct KeeperConnectFailure: Error {
    var code: Int32
    /// Whether nobody listens there (no keeper, or a stale socket).
    var nobodyListens: Bool { code == ENOENT || code == ECONNREFUSED }
    var reason: String {
        code == EPERM ? "the keeper's socket is served by another user" : String(cString: strerror(code))
    }
}
