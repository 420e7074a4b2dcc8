import Foundation

@testable import RemoteJobs

/// How the tests start programs (sshd, p, helpers): as p starts its own (see
/// `ChildProcess.withDefaultSignals`), with no signal blocked and every signal at its
/// default. Spawned straight from a thread of the test process, a child would inherit that
/// thread's blocked signals: an sshd started so hands them to every session, and a shell in
/// it waits forever for a SIGCHLD that never comes.
enum Spawn {
    static func withDefaultSignals<T>(_ body: (inout Platform.SpawnAttributes) -> T) -> T {
        ChildProcess.withDefaultSignals(body)
    }

    /// Closes, in the child, what the test process has open besides stdin, stdout and stderr
    /// (`Platform.closeInheritedDescriptors`); add it after the other actions.
    static func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t) {
        Platform.closeInheritedDescriptors(&actions)
    }
}
