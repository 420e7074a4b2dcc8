import Foundation
import SSHTransport

/// Starts p's keeper (`SSHKeeper`, served by `p _keeper`) as a process of its own: in a
/// session of its own (no terminal's signals reach it), stdin and stdout on `/dev/null`,
/// stderr appended to `keeper.log` in its private directory, no other descriptor of the
/// starting process (a pipe a caller waits on must not stay open in it). Nothing waits for
/// it: the client connects once it listens.
public enum KeeperLauncher {
    /// Starts `executable` with `arguments`.
    /// - Returns: whether the process could be started.
    @discardableResult
    public static func start(executable: String, arguments: [String], place: SSHKeeperPlace) -> Bool {
        var actions = Platform.spawnActions()
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(
            &actions, 2, place.directory + "/keeper.log", O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW, 0o600)
        Platform.closeInheritedDescriptors(&actions)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = ChildProcess.withDefaultSignals { attributes in
            var flags: Int16 = 0
            posix_spawnattr_getflags(&attributes, &flags)
            posix_spawnattr_setflags(&attributes, flags | Int16(Platform.newSessionFlag))
            return posix_spawn(&pid, executable, &actions, &attributes, argv, Platform.environment)
        }
        return spawned == 0
    }
}
