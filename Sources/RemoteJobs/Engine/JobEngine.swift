import Foundation
import SSHTransport

/// The job engine: runs commands as jobs on workers, streams and polls their output, stops,
/// lists, removes and prunes them, and pulls files back. The `p` CLI is a thin layer over
/// it; programs use it directly.
///
/// Every method talks to workers through one `SSHSessionPool`, so a long-lived engine pays
/// each worker's handshake once. State lives in files (the worker configuration and one
/// record per job), so several engines and `p` processes can share it: records are always
/// replaced atomically. Methods are safe to call from any task.
public final class JobEngine: Sendable {
    /// The client's file locations.
    public let paths: PPaths
    /// The registered workers (`config.yaml`).
    let workers: WorkerStore
    /// The job records.
    let records: JobStore
    let pool: SSHSessionPool
    let options: SSHSessionOptions
    let sshConfigFile: String?
    let rsyncRemoteShell: [String]?
    let pollChannels = PollChannels()
    /// The user's keeper, when commands should go over the sessions it holds (the CLI);
    /// nil keeps everything on this engine's own pool.
    let keeper: SSHKeeperClient?

    /// An engine over the files `paths` names.
    /// - Parameters:
    ///   - paths: where the configuration and the records are (XDG by default).
    ///   - options: how sessions connect (host-key policy, credentials, timeouts).
    ///   - pool: the limits of the session pool.
    ///   - sshConfigFile: the ssh_config file connection strings are resolved through;
    ///     nil means `~/.ssh/config`.
    ///   - rsyncRemoteShell: the program (and its first arguments) the local rsync runs as
    ///     its remote shell to sync directories: `["/path/to/p", "_exec"]`, which opens an
    ///     exec channel over p's own SSH. Nil leaves directory sync to SFTP.
    ///   - keeper: a keeper client (`SSHKeeperClient`) to run SSH commands over sessions a
    ///     keeper process holds across programs, as `p` does; commands it cannot carry, and
    ///     SFTP, use the engine's pool. Nil (the default) uses only the pool, which a
    ///     long-lived program keeps warm itself.
    public init(
        paths: PPaths = PPaths(), options: SSHSessionOptions = SSHSessionOptions(),
        pool: SSHSessionPool.Configuration = SSHSessionPool.Configuration(), sshConfigFile: String? = nil,
        rsyncRemoteShell: [String]? = nil, keeper: SSHKeeperClient? = nil
    ) {
        self.keeper = keeper
        self.rsyncRemoteShell = rsyncRemoteShell
        self.sshConfigFile = sshConfigFile
        self.paths = paths
        self.workers = WorkerStore(paths: paths)
        self.records = JobStore(paths: paths)
        self.options = options
        self.pool = SSHSessionPool(options: options, configuration: pool)
    }

    /// Closes the pooled sessions. Jobs keep running on their workers.
    public func close() async {
        await pollChannels.close(pool: pool)
        await pool.close()
    }

    /// How many SSH sessions this engine has opened (for diagnostics and tests).
    public var sessionsOpened: Int {
        get async { await pool.sessionsOpened }
    }

    /// The record of a job given by a unique id prefix. A job whose preparing p process is
    /// gone is settled first (see `Reconciler.reconcilePreparation`).
    /// - Throws: `RemoteJobsError.unknownJob`, `.ambiguousJob`, `.invalidJobID`,
    ///   `.corruptRecord`, or `.localFile` when the record cannot be read.
    public func record(_ idPrefix: String) throws(RemoteJobsError) -> JobRecord {
        let id = try records.resolve(idPrefix)
        guard let record = try records.load(id) else { throw .unknownJob(prefix: idPrefix) }
        return try settlePreparation(record)
    }

    /// `record(_:)`, read on a thread outside the cooperative pool (a directory listing for
    /// the prefix, a file read, and a write when its preparation is settled): what async
    /// callers use.
    /// - Throws: `RemoteJobsError.unknownJob`, `.ambiguousJob`, or an unreadable record.
    public func loadRecord(_ idPrefix: String) async throws -> JobRecord {
        try await BlockingWork.run { try self.record(idPrefix) }
    }

    /// The registered workers and the default one, `config.yaml` read and parsed on a thread
    /// outside the cooperative pool: `workerConfiguration()` for async callers.
    /// - Throws: `RemoteJobsError` when `config.yaml` cannot be read.
    public func loadWorkers() async throws -> WorkerConfig {
        let workers = self.workers
        return try await BlockingWork.run { try workers.load() }
    }

    /// How to reach the worker of `record`, worked out on a thread outside the cooperative
    /// pool (`config.yaml` and the ssh configuration are read for it).
    func link(of record: JobRecord) async throws -> WorkerLink {
        try await BlockingWork.run { try self.link(self.worker(of: record)) }
    }

    /// Whether a record with exactly this id exists (readable or not); nothing is settled.
    public func hasRecord(id: String) -> Bool {
        access(records.path(of: id), F_OK) == 0
    }

    /// Saves a change to an existing record (written, flushed to disk and swapped into
    /// place) on a thread outside the cooperative pool, since the fsync waits for the disk.
    /// A record removed meanwhile (by `p rm` or `p prune` in another process) stays removed.
    func saveRecord(_ record: JobRecord) async throws {
        let records = self.records
        try await BlockingWork.run { _ = try records.update(record) }
    }

    /// Saves a new record, on a thread outside the cooperative pool.
    func createRecord(_ record: JobRecord) async throws {
        let records = self.records
        try await BlockingWork.run { try records.save(record) }
    }

    /// `record` with `Reconciler.reconcilePreparation` applied (and saved if it changed).
    func settlePreparation(_ record: JobRecord) throws(RemoteJobsError) -> JobRecord {
        guard case .syncing(let preparer) = record.status else { return record }
        let settled = Reconciler.reconcilePreparation(record, preparerAlive: preparer.isAlive)
        if settled != record { try records.update(settled) }
        return settled
    }

    /// Waits while the job is being prepared (by this or another p process), checking its
    /// record every 0.1 s.
    /// - Returns: the record once the job started, or its preparation ended otherwise.
    func waitForPreparation(_ record: JobRecord) async throws -> JobRecord {
        var current = record
        while case .syncing = current.status {
            try await Task.sleep(for: .milliseconds(100))
            guard let fresh = try records.load(current.id) else { throw RemoteJobsError.unknownJob(prefix: current.id) }
            current = try settlePreparation(fresh)
        }
        return current
    }

    /// The worker a record belongs to: the registered one of that name, else (it was
    /// unregistered since) one rebuilt from the record. `config`: the registered workers,
    /// when the caller read them once for many records; else read now.
    func worker(of record: JobRecord, in config: WorkerConfig? = nil) -> Worker {
        if let config = config ?? (try? workers.load()),
            let worker = config.workers.first(where: { $0.name == record.worker })
        {
            return Worker(name: worker.name, connection: worker.connection, root: record.root, kind: worker.kind)
        }
        return Worker(
            name: record.worker, connection: record.connection, root: record.root,
            kind: record.connection == Worker.localConnection ? .local : .ssh)
    }

    /// The job's pid as recorded at launch, for the scripts that signal or watch it (empty
    /// when unknown: the script then reads the `pid` file, which it validates).

    /// The process id on `worker` of this engine's poll server, if one runs (for tests).
    func pollServerPID(worker name: String) async throws -> Int? {
        guard let ssh = try link(workers.load().worker(named: name)).ssh else { return nil }
        return await pollChannels.serverPID(for: ssh.target)
    }

    /// `R/jobs/ID` on the worker.
    static func jobDirectory(_ record: JobRecord) -> String { record.root + "/jobs/" + record.id }
}
