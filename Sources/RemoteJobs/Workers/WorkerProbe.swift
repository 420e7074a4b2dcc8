import Foundation

/// What a worker has, as `p worker register` reports it.
public struct WorkerProbe: Sendable, Equatable {
    /// `uname -sr`.
    public var system: String
    /// `uname -m`.
    public var architecture: String
    /// The login shell jobs run with.
    public var shell: String
    /// Where rsync is, if the worker has it (directory sync uses it when present).
    public var rsync: String?
    /// Whether the worker can start a job in its own session (`setsid`, or perl).
    public var hasSetsid: Bool
    /// Where tar is, if the worker has it (directory sync streams an archive through it).
    public var tar: String?
    /// Where sbatch is, if the login shell finds it: the machine is a Slurm login node.
    public var sbatch: String?
    /// Whose tools the login's `PATH` finds: `BusyBox` or `GNU` (coreutils), or nil when
    /// neither says.
    public var userland: String?
    /// How the wrapper gives the job its signals back at their defaults: `env` (GNU `env
    /// --default-signal`), `perl`, or nil when neither is there (then the job inherits
    /// INT and QUIT ignored, as a background command of `sh` does).
    public var signalReset: String?
    /// Whether `--max-log` works here: `fallocate --punch-hole` frees a file's blocks in
    /// place in p's root.
    public var canCapLogs = false
    /// For a worker registered as a Slurm cluster: how its probe job went.
    public var slurm: SlurmProbe?

    /// A probe's findings.
    public init(
        system: String, architecture: String, shell: String, rsync: String?, hasSetsid: Bool, tar: String?,
        sbatch: String? = nil, slurm: SlurmProbe? = nil
    ) {
        self.system = system
        self.architecture = architecture
        self.shell = shell
        self.rsync = rsync
        self.hasSetsid = hasSetsid
        self.tar = tar
        self.sbatch = sbatch
        self.slurm = slurm
    }

    /// What is missing, as sentences; empty when the worker has everything.
    public var missing: [String] {
        var notes: [String] = []
        if tar == nil && rsync == nil {
            notes.append("neither tar nor rsync is installed: directory sync will use SFTP alone")
        }
        if !hasSetsid && slurm == nil {
            notes.append("setsid is missing: install util-linux, or perl, so jobs get their own process group")
        }
        if signalReset == nil {
            notes.append(
                "neither GNU env nor perl is here: jobs start with INT and QUIT ignored (kill -INT and p stop --signal INT do not end a plain program); install coreutils or perl"
            )
        }
        if !canCapLogs {
            notes.append(
                "--max-log needs util-linux's fallocate (with --punch-hole) and a file system that can punch holes: jobs here cannot cap their logs"
            )
        }
        return notes
    }
}

/// How the probe job of `p worker register --slurm` went: it ran on a compute node and
/// wrote into p's root there (the root is shared), or the cluster was too busy to run it
/// within the wait (it was cancelled; the worker is registered all the same).
public struct SlurmProbe: Sendable, Equatable {
    /// What became of the probe job.
    public enum Outcome: Sendable, Equatable {
        /// It ran on `node` and its file appeared on the login node.
        case ran(node: String)
        /// It was still queued when the wait ended, for Slurm's `reason`.
        case stillQueued(reason: String?)
    }

    /// The probe's Slurm job id.
    public var jobID: String
    /// What became of it.
    public var outcome: Outcome
    /// From submission to the answer.
    public var elapsed: Duration
}

/// How one worker answered `p worker ls --check`.
public struct WorkerCheck: Sendable {
    /// The worker.
    public var worker: Worker
    /// Connect, handshake and authentication, when it answered.
    public var connectTime: Duration?
    /// One command's round trip on the open connection.
    public var roundTrip: Duration?
    /// Why it could not be reached.
    public var failure: RemoteJobsError?
}
