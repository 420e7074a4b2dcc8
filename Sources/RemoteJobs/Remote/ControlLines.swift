import Foundation

/// The control lines p's worker-side scripts print on stderr, around the job's own bytes on
/// stdout: `p-begin <token>` first (see `RemoteScripts.invocation`), then `p-start <pid>
/// <started_at> <boot_id>` when a job was launched, and `p-end <size> <facts>` (or `p-end
/// missing`) when a stream or poll ended. A job handed to Slurm adds `p-slurm <id>` once
/// `sbatch` took it, and `p-state <STATE:REASON>` while it waits in the queue; a job put
/// in the worker's own queue (`WorkerQueue`) prints `p-queued`, then `p-state` lines. A
/// script that waits prints `p-alive` every few seconds (ignored), so that it ends soon
/// after its client is gone (`hb` of `Worker/lib/proc.sh`). Each line is one
/// `ControlLine` (`Protocol/`), printed by `Worker/lib/protocol.sh`. Lines before `p-begin` with this invocation's
/// token come from the login shell (a `.bashrc`, say), not from p's script: they are never
/// taken as control lines, however they look, and are kept only to explain a script that
/// never began. Anything else after it is kept as the detail of an error.
///
/// Every field is parsed defensively (`WorkerValues`): a job can write anything into the
/// files these lines are made of, and a bad value never crashes p.
struct ControlLines {
    /// A line that changes what is known of a launch, as it arrives.
    enum Event: Equatable {
        /// The job runs (`p-start`).
        case started(StartLine)
        /// Slurm took the job under this id (`p-slurm`).
        case submitted(slurmJobID: String)
        /// The job waits in Slurm's queue or the worker's (`p-state`), for this reason where
        /// there is one.
        case queued(reason: String?)
        /// The job is in the worker's queue (`p-queued`): it exists, and starts when a slot
        /// frees and the jobs it runs after ended.
        case enqueued
    }

    private let beginLine: String
    private var pending: [UInt8] = []
    private(set) var begun = false
    private(set) var start: StartLine?
    private(set) var end: EndLine?
    private(set) var jobMissing = false
    private var preamble = ""
    private var text = ""

    /// A parser for one invocation whose `p-begin` line carries `token`; nil takes the
    /// lines as control lines from the first one (a server answering on an open channel).
    init(token: String?) {
        beginLine = token.map { "p-begin " + $0 } ?? ""
        begun = token == nil
    }

    /// What the script printed that is not a control line (or, if it never began, what
    /// the login shell printed instead), for error messages.
    var otherText: String { begun ? text : preamble }

    /// Feeds stderr bytes; returns the events of the lines this chunk completed.
    mutating func feed(_ bytes: [UInt8]) -> [Event] {
        pending += bytes
        var events: [Event] = []
        while let newline = pending.firstIndex(of: 0x0A) {
            let line = String(decoding: pending[..<newline], as: UTF8.self)
            pending.removeSubrange(...newline)
            if !begun {
                if line == beginLine {
                    begun = true
                } else if preamble.utf8.count < 4096 {
                    preamble += line + "\n"
                }
            } else if let control = ControlLine.parse(line) {
                switch control {
                case .start(let parsed):
                    start = parsed
                    events.append(.started(parsed))
                case .slurm(let id): events.append(.submitted(slurmJobID: id))
                case .state(let state): events.append(.queued(reason: state.reason))
                case .queued: events.append(.enqueued)
                case .missing: jobMissing = true
                case .end(let parsed): end = parsed
                case .alive, .begin:
                    // A waiting script checking that its client is still there, or a second
                    // begin: nothing to do.
                    break
                }
            } else if text.utf8.count < 4096 {
                text += line + "\n"
            }
        }
        return events
    }
}
