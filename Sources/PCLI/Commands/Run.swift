import ArgumentParser
import Foundation
import RemoteJobs

/// `p [worker] -- command...`: run a command as a job and stream its output.
struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a command on a worker as a job and stream its output (the default command).",
        discussion: """
            The words after `--` are joined with spaces and run by the worker user's shell, as \
            `ssh host <words>` would run them. The job survives this process and the network: \
            Ctrl+C detaches (the job keeps running); `p logs -f <id>` watches it again.

            Examples:
              p -- make -j8 test
              p beefy -- 'cd sub && ./run.sh > out.txt'
              p -d -e SEED=42 --timeout 2h -- ./train.py
              p @gpu -v -- ./train.py                              (the least busy worker labelled gpu)
              p hpc --gpus 1 --time 2:00:00 -- python train.py     (a Slurm worker)
              p @gpu --array 1-50%4 -- python train.py --seed {}   (50 jobs, 4 at a time across the gpu workers)
              p @pool -d --retry 2 --retry-on failed --pull 'out/*' -- ./sim.sh

            On a Slurm worker the job is submitted with sbatch: it shows as queued (with \
            Slurm's reason) until Slurm starts it, then streams as on any worker. --gpus, \
            --time, --partition, --cpus, --mem and --sbatch add sbatch options to the \
            worker's defaults.
            """
    )

    @Argument(
        help:
            "The worker's name (default: the default worker), or @label: the least busy worker with that label.")
    var worker: String?

    @Flag(
        name: [.customShort("n"), .customLong("no-sync")],
        help: "Run without syncing the current directory; the job starts in an empty work directory.")
    var noSync = false

    @Option(
        name: [.customShort("C"), .customLong("directory")],
        help: "Copy this directory (and show it in `p ls`) instead of the current one.")
    var directory: String?

    @Flag(name: [.short, .long], help: "Start the job, print its id, and return at once.")
    var detach = false

    @Flag(
        help:
            "When the job ends, say so on the desktop (notify-send, osascript) or with the terminal's bell; also after -d or a Ctrl+C detach, from a `p wait --notify` in the background."
    )
    var notify = false

    @Flag(
        help:
            "Keep the job's stderr apart from its stdout: streamed to p's stderr, kept in a log of its own on the worker (`p logs --stderr`), each with its own byte offsets. By default both go to one log, in the order written."
    )
    var separateStderr = false

    @Option(
        help: ArgumentHelp(
            "Cap each of the job's logs on the worker (10M, 1G; at least 64K): past it the worker keeps the first half and the most recent half, and readers see one notice where the middle was dropped. Default: the worker's max_log, else no cap.",
            valueName: "size"), transform: { try ByteSize.parse($0) })
    var maxLog: UInt64?

    @Option(
        name: [.short, .customLong("env")],
        help: "Set KEY=VALUE for the job (repeatable); values travel in a file only the user can read.")
    var environment: [String] = []

    @Option(help: "Stop the job as `p stop` does when it runs longer than this (90s, 5m, 2h).")
    var timeout: DurationArgument?

    @Option(help: "Time between TERM and KILL when --timeout stops the job.")
    var grace = DurationArgument(.seconds(10))

    @Option(
        name: .customLong("sync-via"),
        help:
            "How the directory travels: auto (rsync when both machines have it and at least 64 files or 8 MB are to be sent, else SFTP), rsync, or sftp."
    )
    var syncVia: SyncTransport = .automatic

    @Flag(
        help:
            "Run in this directory's persistent work directory on the worker, synced in place, so build caches the job leaves there (ignored by git, so never synced) survive to the next job. One job at a time."
    )
    var reuseWorkdir = false

    @Flag(help: "With --reuse-workdir: wait while another job uses the persistent work directory, instead of failing.")
    var wait = false

    @Flag(
        help:
            "Hard-link files unchanged since the last sync instead of copying them on the worker: faster for large trees, but a job that writes into such a file in place also changes the earlier job's copy."
    )
    var hardLinks = false

    @Flag(
        name: [.short, .long],
        help:
            "Say how p reached the worker (through the keeper or directly), where the job was placed, and what the sync did."
    )
    var verbose = false

    @Option(
        help: ArgumentHelp(
            "Start when these jobs (on the same worker) ended successfully; if one failed, this job fails without running.",
            valueName: "id,id"))
    var after: String?

    @Option(
        help: ArgumentHelp(
            "Make the submit idempotent: a key always names the same job, so a submit retried (after a crash, a broken connection, from another machine) returns that job instead of starting it again. A key used again for another command or worker is an error.",
            valueName: "text"))
    var key: String?

    @Option(
        name: .customLong("after-any"),
        help: ArgumentHelp("Start when these jobs (on the same worker) ended, however they ended.", valueName: "id,id"))
    var afterAny: String?

    @Option(
        name: .customLong("on-end"),
        help: ArgumentHelp(
            "A command the worker runs when the job ends (a webhook, a chat message), in the work directory, with P_JOB_ID, P_JOB_STATUS (done, failed, stopped) and P_JOB_EXIT_CODE set; its output goes to the job's on_end.log, never to the job's log. Not run after a KILL.",
            valueName: "command"))
    var onEnd: String?

    @Option(
        help: ArgumentHelp(
            "GPUs for the job: on an SSH worker, that many free GPUs are claimed and named in CUDA_VISIBLE_DEVICES (nvidia-smi); on a Slurm worker, sbatch --gpus.",
            valueName: "n"))
    var gpus: String?

    @Option(
        help: ArgumentHelp(
            "Slurm workers: the job's time limit in Slurm's forms (90, 1:30:00, 2-00:00:00); Slurm stops the job then, and p records it as stopped by timeout.",
            valueName: "limit"))
    var time: String?

    @Option(help: ArgumentHelp("Slurm workers: the partition (sbatch --partition).", valueName: "name"))
    var partition: String?

    @Option(help: ArgumentHelp("Slurm workers: CPUs for the job (sbatch --cpus-per-task).", valueName: "n"))
    var cpus: Int?

    @Option(help: ArgumentHelp("Slurm workers: memory for the job (sbatch --mem: 4G, 500M).", valueName: "size"))
    var mem: String?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Slurm workers: more sbatch options, as one string (\"--qos high --constraint a100\").",
            valueName: "options"))
    var sbatch: String?

    @Option(
        help: ArgumentHelp(
            "Run the command once per index, as a job array: indices and ranges (1-50, 0-98:2, 1,3,7-9) and an optional cap on how many run at once across the workers (1-50%4). {} in the command and $P_ARRAY_INDEX are the index; with @label the elements spread over the label's workers.",
            valueName: "spec"))
    var array: String?

    @Option(
        parsing: .upToNextOption,
        help: ArgumentHelp(
            "Run the command once per word, as a job array ({} is the word, quoted; $P_ARRAY_INDEX its position from 1, $P_ARRAY_VALUE the word).",
            valueName: "word"))
    var each: [String] = []

    @Option(
        name: .customLong("retry-failed"),
        help: ArgumentHelp(
            "Run again the elements of this array that failed, were stopped or were lost, as elements of the same array (its command; give its variables, directory and options again). On the label it was placed by unless you name workers.",
            valueName: "array"))
    var retryFailed: String?

    @Option(
        name: .customLong("each-from"),
        help: ArgumentHelp("As --each, with the words read from a file, one per line.", valueName: "file"))
    var eachFrom: String?

    @Option(
        help: ArgumentHelp(
            "With --each or --each-from: the most elements running at once across the workers.", valueName: "n"))
    var cap: Int?

    @Option(
        parsing: .upToNextOption,
        help: ArgumentHelp(
            "When the job ends, copy what these globs match in its work directory (results/*.csv, model.pt, out) into ./p-results/<id>/ (an array's elements into <array>/<index>/): at once when attached, else with the next p wait, p logs -f or p pull <id>.",
            valueName: "pattern"))
    var pull: [String] = []

    @Option(
        name: .customLong("pull-to"),
        help: ArgumentHelp("With --pull: the directory to put results under instead of ./p-results.", valueName: "dir"))
    var pullTo: String?

    @Option(
        help: ArgumentHelp(
            "Run the job again, up to N more times, when it ends as --retry-on says (1 s, then doubling, at most 30 s apart). Exit codes are retried on the worker, with no client; each attempt's times, exit code and log offset are in `p ls --json`.",
            valueName: "n"))
    var retry: Int?

    @Option(
        name: .customLong("retry-on"),
        help: ArgumentHelp(
            "What is retried, comma-separated: failed (any non-zero exit code), exit codes (1,137), lost (the job vanished: its worker rebooted, its files are gone). Default: lost.",
            valueName: "when"))
    var retryOn: String?

    @Option(
        name: .customLong("lost-after"),
        help: ArgumentHelp(
            "With --retry-on lost: count the job lost when its worker stays out of reach this long (90s, 5m) while p wait waits for it, and start it again (on another worker of its @label). It may then run twice, should the worker come back. Default: only a job its worker says is gone counts.",
            valueName: "duration"))
    var lostAfter: DurationArgument?

    @Argument(parsing: .postTerminator, help: "The command, after `--`.")
    var command: [String] = []

    func validate() throws {
        if retryFailed != nil {
            if !command.isEmpty { throw ValidationError("--retry-failed runs the array's own command: give none.") }
            if array != nil || !each.isEmpty || eachFrom != nil {
                throw ValidationError("--retry-failed takes the array's elements: no --array, --each or --each-from.")
            }
        } else {
            guard !command.isEmpty, !command.joined().trimmingCharacters(in: .whitespaces).isEmpty else {
                throw ValidationError("Give the command to run after `--`, for example: p -- make test")
            }
        }
        if wait && !reuseWorkdir {
            throw ValidationError("--wait only applies with --reuse-workdir.")
        }
        for entry in environment {
            do {
                _ = try JobRequest.parseEnvironment(entry)
            } catch {
                throw ValidationError("\(error)")
            }
        }
        if let cpus, cpus < 1 { throw ValidationError("--cpus must be at least 1.") }
        if [array != nil, !each.isEmpty, eachFrom != nil].filter({ $0 }).count > 1 {
            throw ValidationError("Give one of --array, --each and --each-from.")
        }
        if let cap, cap < 1 { throw ValidationError("--cap must be at least 1.") }
        if pullTo != nil && pull.isEmpty { throw ValidationError("--pull-to goes with --pull.") }
        if retryOn != nil && retry == nil { throw ValidationError("--retry-on goes with --retry N.") }
        if lostAfter != nil {
            let onLost = retry != nil && (retryOn.map { $0.split(separator: ",").contains("lost") } ?? true)
            if !onLost { throw ValidationError("--lost-after goes with --retry N (and lost among --retry-on).") }
        }
        do {
            _ = try retry.map { try RetryPolicy.parse(count: $0, on: retryOn) }
        } catch {
            throw ValidationError("\(error)")
        }
        do {
            try JobRequest.checkPullPatterns(pull)
        } catch {
            throw ValidationError("\(error)")
        }
        if cap != nil && each.isEmpty && eachFrom == nil && retryFailed == nil {
            throw ValidationError("--cap goes with --each or --each-from (with --array, write 1-50%4).")
        }
        if after != nil && afterAny != nil { throw ValidationError("Give --after or --after-any, not both.") }
        if let key, key.isEmpty || key.utf8.count > 512 { throw ValidationError("--key must be 1 to 512 bytes.") }
        do {
            if let list = after ?? afterAny { _ = try JobRequest.parseDependencies(list) }
            _ = try slurmRequest()
        } catch {
            throw ValidationError("\(error)")
        }
    }

    /// What the Slurm options ask for.
    private func slurmRequest() throws -> SlurmRequest {
        SlurmRequest(
            gpus: gpus, time: time, partition: partition, cpus: cpus, memory: mem,
            extraOptions: try sbatch.map { try SlurmRequest.splitOptions($0) } ?? [])
    }

    func run() async throws {
        try await reportingErrors { try await execute() }
    }

    private func execute() async throws -> Int32 {
        let cwd = try Self.absoluteDirectory(directory)
        var asked = JobRequest(
            command: command.joined(separator: " "), worker: worker,
            environment: try environment.map { try JobRequest.parseEnvironment($0) }, cwd: cwd,
            timeout: timeout?.duration, grace: grace.duration, syncDirectory: noSync ? nil : cwd,
            syncTransport: syncVia, reuseWorkdir: reuseWorkdir, waitForWorkdir: wait,
            hardLinks: hardLinks, id: key.map(JobRequest.jobID(forClientKey:)) ?? UUID().uuidString.lowercased(),
            slurm: try slurmRequest(),
            after: try (after ?? afterAny).map { try JobRequest.parseDependencies($0) } ?? [],
            afterAnyOutcome: afterAny != nil, clientKey: key)
        asked.onEnd = onEnd
        asked.separateStderr = separateStderr
        asked.maxLog = maxLog
        asked.pull = pull
        asked.retry = try retry.map { try RetryPolicy.parse(count: $0, on: retryOn) }
        asked.retry?.lostAfter = lostAfter.map { max(1, $0.duration.wholeSecondsRoundedUp) }
        asked.pullTo = try pullTo.map { try Self.absoluteDirectory($0, mustExist: false) }
        let jobArray = try readArray()
        return try await EngineFactory.withEngine(onRoute: Report.route(verbose)) { engine in
            // The engine places a job for a label (`@gpu`) as it starts it, and says where.
            let request = asked
            let progress = ProgressLine()
            let observer = SyncObserver(
                planned: { plan in
                    guard !plan.skipped.isEmpty else { return }
                    Report.note(
                        "p: not copying \(plan.skipped.count) special file(s) (sockets, FIFOs, devices): "
                            + plan.skipped.prefix(5).map { "\($0.path) (\($0.kind))" }.joined(separator: ", "))
                }, progress: progress.isEnabled ? progress.update : nil,
                finished: { [verbose] report in
                    progress.finish()
                    if verbose { Report.note("p: " + JobFormatting.syncSummary(report)) }
                },
                waitingForWorkdir: { holder in
                    Report.note(
                        "p: waiting for job \(holder.prefix(8)) to finish with the persistent work directory...")
                },
                note: { note in Report.note("p: " + JobFormatting.syncNote(note)) },
                placed: { [verbose] placement in
                    for skipped in placement.skipped {
                        Report.note("p: skipped worker \(skipped.worker): \(skipped.failure)")
                    }
                    if verbose { Report.note("p: " + placement.reason) }
                })
            if let jobArray {
                return try await runArray(
                    jobArray, request: request, engine: engine, observer: observer, progress: progress)
            }
            if let retryFailed {
                return try await runArray(
                    retrying: retryFailed, request: request, engine: engine, observer: observer, progress: progress)
            }
            if detach {
                do {
                    let record = try await InterruptWatcher.run { try await engine.submit(request, sync: observer) }
                    progress.finish()
                    print(record.id)
                    if let note = ResultsReport.laterNote(record.id, patterns: request.pull) { Report.note(note) }
                    if notify { await EndNotifier.notifyInBackground(record.id) }
                    return 0
                } catch is CancellationError {
                    progress.finish()
                    Report.note(Self.interruptedBeforeStart(request, engine))
                    return 130
                }
            }
            let started = StartedJob()
            do {
                let record = try await InterruptWatcher.run {
                    try await engine.run(
                        request, sync: observer,
                        onStart: {
                            progress.finish()
                            started.set($0)
                        },
                        onStatus: { record in
                            started.set(record)
                            if case .queued(let reason?) = record.status {
                                let by = record.slurmJobID == nil ? "on the worker" : "by Slurm"
                                Report.note("p: job \(record.shortID) is queued \(by) (\(reason))")
                            }
                        }
                    ) { bytes in
                        await FileDescriptorWriter.writeAsync(bytes, to: STDOUT_FILENO)
                    } errorOutput: { bytes in
                        await FileDescriptorWriter.writeAsync(bytes, to: STDERR_FILENO)
                    }
                }
                Report.note(JobFormatting.endLine(record))
                let pulled = await ResultsReport.pullDue([record], engine: engine)
                if notify { await EndNotifier.notify(record) }
                let code = JobFormatting.exitCode(record)
                return code == 0 && !pulled ? 1 : code
            } catch is CancellationError {
                progress.finish()
                guard let record = started.get() else {
                    Report.note(Self.interruptedBeforeStart(request, engine))
                    return 130
                }
                Report.note(
                    "\n[Detached from job \(record.shortID); it keeps running]\n" + JobFormatting.resumeHints(record))
                if notify { await EndNotifier.notifyInBackground(record.id) }
                return 130
            }
        }
    }
}

extension Run {
    /// What to say after Ctrl+C before the job was seen to start: p removed what it had
    /// made, unless the launcher may already have started the job.
    static func interruptedBeforeStart(_ request: JobRequest, _ engine: JobEngine) -> String {
        guard let id = request.id, engine.hasRecord(id: id) else {
            return "\n[Interrupted before the job started; nothing was left behind]"
        }
        return "\n[Interrupted while the job was being started: it may run; `p ls -a` shows it once the worker answers]"
    }

    /// `path` made absolute and checked to be a directory (unless it need not exist yet);
    /// the current one when nil.
    static func absoluteDirectory(_ path: String?, mustExist: Bool = true) throws -> String {
        let current = FileManager.default.currentDirectoryPath
        guard let path else { return current }
        let absolute = URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: current + "/")).standardizedFileURL
            .path
        if !mustExist && access(absolute, F_OK) != 0 { return absolute }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: absolute, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw RemoteJobsError.invalidArgument("\(path) is not a directory.")
        }
        return absolute
    }
}

extension SyncTransport: ExpressibleByArgument {}

/// The record of a job once it started, shared with the streaming task.
final class StartedJob: @unchecked Sendable {
    // Guarded by `lock`; written once by the streaming task, read after it ended.
    private let lock = NSLock()
    private var record: JobRecord?

    func set(_ record: JobRecord) { lock.withLock { self.record = record } }
    func get() -> JobRecord? { lock.withLock { record } }
}
