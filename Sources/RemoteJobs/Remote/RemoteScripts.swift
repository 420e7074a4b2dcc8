/// How p runs its worker-side scripts (`Scripts/`, one type each; their programs are the
/// files of `Worker/`).
///
/// Every script is a fixed POSIX `sh` program taking its inputs as named arguments (ids,
/// offsets, the root) or on stdin (the command and the environment), so no user input is
/// ever parsed as script text, and nothing secret is on an argv.
///
/// The remote layout is DESIGN.md's: `R/jobs/ID/{cmd,env,cwd,worker,started_at,pid,boot_id,
/// output.log,exitcode,ended_at,stopped,run}` and `R/workdirs/ID/`, directories 0700, files
/// 0600 (`umask 077`).
enum RemoteScripts {
    /// `script` as p runs it: after `Worker/lib/begin.sh`, which prints `p-begin <token>`
    /// on stdout and on stderr before anything else (the token is the first argument, new
    /// for each run), so that what a login file prints is never taken for the script's
    /// output or its control lines (see `StdoutFramer` and `ControlLines`), and reads the
    /// named arguments that follow.
    static func invocation(_ script: String) -> String {
        begin + "; " + script
    }

    private static let begin = WorkerShell.program("lib/begin.sh")
}
