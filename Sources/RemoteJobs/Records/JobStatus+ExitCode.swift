/// How a job's end maps to one exit code, for everything that reports one: `p -- …` and
/// `p wait` exit with it, `p mcp` returns it, programs use it. One policy:
///
/// | status | exit code |
/// | --- | --- |
/// | `syncing`, `running` | none (nil) |
/// | `done` | 0 |
/// | `failed [N]` | N; 1 when the job is failed with a reason and a code of 0, or none |
/// | `stopped` by `--timeout` | 124, as GNU `timeout` |
/// | `stopped` by signal S | the command's own code when it exited on S; else 128 + S (TERM 143, KILL 137, INT 130, HUP 129) |
/// | `unknown` | 1 |
extension JobStatus {
    /// The exit code that stands for this end (see the table above); nil while the job is
    /// being prepared or runs.
    public var reportedExitCode: Int32? {
        switch self {
        case .syncing, .queued, .running, .paused: return nil
        case .done: return 0
        case .failed(let code, _, _): return code.flatMap { $0 == 0 ? nil : $0 } ?? 1
        case .stopped(let signal, let code, _):
            if signal == "timeout" { return 124 }
            return code ?? JobSignal(rawValue: signal).map { 128 + $0.number } ?? 1
        case .unknown: return 1
        }
    }
}
