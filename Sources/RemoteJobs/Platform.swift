import Foundation
import SSHTransport

// The differences between Linux (Glibc) and macOS (Darwin) that RemoteJobs meets, in one
// place: nothing else in the module branches on the platform. Linux is built and tested in
// CI; the Darwin branches are written for macOS but not built here (README, Limits).

enum Platform {
    /// File actions for `posix_spawn`, initialized (an opaque pointer on Darwin, a struct on
    /// Linux); the caller destroys them.
    #if canImport(Darwin)
        typealias SpawnActions = posix_spawn_file_actions_t?
        typealias SpawnAttributes = posix_spawnattr_t?
    #else
        typealias SpawnActions = posix_spawn_file_actions_t
        typealias SpawnAttributes = posix_spawnattr_t
    #endif

    static func spawnActions() -> SpawnActions {
        #if canImport(Darwin)
            var actions: SpawnActions = nil
        #else
            var actions = SpawnActions()
        #endif
        posix_spawn_file_actions_init(&actions)
        return actions
    }

    /// Makes the child close every descriptor above stderr that the actions added so far did
    /// not set up; add it last. A descriptor another thread opened a moment before (a pipe
    /// not yet marked close-on-exec) would otherwise live on in the child and in whatever
    /// it leaves running: a detached job holding the write end of someone else's pipe
    /// keeps that reader from ever seeing its end. On Darwin the attribute flag
    /// `POSIX_SPAWN_CLOEXEC_DEFAULT` (see `closeOthersFlag`) does the same.
    static func closeInheritedDescriptors(_ actions: inout SpawnActions) {
        #if canImport(Darwin)
            _ = actions
        #else
            if let closeFrom = addCloseFrom { _ = closeFrom(&actions, 3) }
        #endif
    }

    #if !canImport(Darwin)
        /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), which Swift's
        /// Glibc module does not declare, looked up once; nil on an older glibc, where the
        /// child keeps what it inherits.
        private static let addCloseFrom:
            (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
                guard
                    let symbol = dlsym(
                        UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np")
                else { return nil }
                return unsafeBitCast(
                    symbol,
                    to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
            }()
    #endif

    /// The spawn flag that closes inherited descriptors (Darwin), or none (Linux, where the
    /// file action does it).
    static var closeOthersFlag: Int32 {
        #if canImport(Darwin)
            return Int32(POSIX_SPAWN_CLOEXEC_DEFAULT)
        #else
            return 0
        #endif
    }

    /// The spawn flag that starts the child in a session of its own (`setsid`).
    static var newSessionFlag: Int32 {
        #if canImport(Darwin)
            return Int32(POSIX_SPAWN_SETSID)
        #else
            return 0x80  // glibc's POSIX_SPAWN_SETSID (2.26 and later), not in Swift's Glibc module
        #endif
    }

    static func spawnAttributes() -> SpawnAttributes {
        #if canImport(Darwin)
            var attributes: SpawnAttributes = nil
        #else
            var attributes = SpawnAttributes()
        #endif
        posix_spawnattr_init(&attributes)
        return attributes
    }

    /// When process `pid` started, in the system's own units, to tell it from a later process
    /// with the same pid: on Linux field 22 of `/proc/<pid>/stat` (clock ticks since boot;
    /// counted from the last `)`, since the command name may hold spaces and parentheses);
    /// nil elsewhere.
    static func processStartTime(_ pid: Int32) -> UInt64? {
        #if canImport(Darwin)
            return nil
        #else
            guard let bytes = try? LocalFile.contents(of: "/proc/\(pid)/stat"),
                let close = bytes.lastIndex(of: UInt8(ascii: ")"))
            else { return nil }
            let fields = bytes[(close + 1)...].split(separator: UInt8(ascii: " "))
            // Fields after the name start at 3 (state); the start time is field 22.
            guard fields.count > 19 else { return nil }
            return UInt64(String(decoding: fields[19], as: UTF8.self))
        #endif
    }

    /// What `exchange` did.
    enum Exchange {
        /// The two files swapped names, in one step.
        case exchanged
        /// Nothing: the target does not exist.
        case targetMissing
        /// Nothing: the system or the file system cannot swap names (the caller falls back).
        case unsupported
    }

    /// Swaps the names of `source` and `target` atomically, only if both exist: Linux's
    /// `renameat2(RENAME_EXCHANGE)` (which Swift's Glibc module does not declare, so it is
    /// looked up once), Darwin's `renamex_np(RENAME_SWAP)`.
    static func exchange(_ source: String, _ target: String) -> Exchange {
        #if canImport(Darwin)
            if renamex_np(source, target, UInt32(RENAME_SWAP)) == 0 { return .exchanged }
        #else
            guard let renameat2 else { return .unsupported }
            // RENAME_EXCHANGE, from <linux/fs.h>.
            if renameat2(AT_FDCWD, source, AT_FDCWD, target, 2) == 0 { return .exchanged }
        #endif
        return errno == ENOENT ? .targetMissing : .unsupported
    }

    #if !canImport(Darwin)
        private static let renameat2:
            (@convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32)? = {
                guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "renameat2") else { return nil }
                return unsafeBitCast(
                    symbol,
                    to: (@convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32)
                        .self)
            }()
    #endif

    /// This process's environment, for `posix_spawn` (Darwin does not export `environ`).
    static var environment: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?> {
        #if canImport(Darwin)
            return _NSGetEnviron().pointee!
        #else
            return environ
        #endif
    }
}
