import ArgumentParser
import Foundation
import RemoteJobs

/// `p watch [--json] [--output] ID...|@label|--all`: a line per event of the jobs, as it
/// happens.
struct Watch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a line for each change of the jobs' status (and their output), as it happens.",
        discussion: """
            Each watched job gets a line with its status now, then one per change (queued, \
            running, paused, done, failed, stopped, unknown), written and flushed at once: for \
            a script (`p watch --json ID | jq`) or an agent's tool that reports each line a \
            background command prints. With --output, each line the jobs print comes too, \
            tagged with its job; a job's end comes after its last line.

            With ids (an array's id watches its elements) it ends once they all ended. With \
            --all it watches every job being prepared or running and the ones started later; \
            with @LABEL, those on the workers carrying the label; both run until interrupted, \
            or with --until-done until no watched job is left running. The workers are asked \
            through one long-lived exec each, every 250 ms, about all their watched jobs at \
            once. A dropped connection is reconnected; what changed meanwhile is printed once, \
            and output goes on from the last byte printed.

            JSON Lines (--json), one object per line: event ("status" for the first line of \
            a job, "changed" for a change, "output" for a line of output, "gap" for bytes a \
            capped log dropped), job_id, array_id and index (for an element), worker, at (ISO \
            8601); status, exit_code (once ended) and reason for status lines; line (without \
            its newline) and offset (of its first byte in the log) for output; from and to \
            for a gap.

            Examples:
              p watch --json 3f2a
              p watch --output 9c1e              (every element of an array, and what it prints)
              p watch --all --json | jq -c 'select(.status == "failed")'
              p watch @gpu --until-done
            """
    )

    @Argument(help: "The jobs' ids (unique prefixes), arrays' ids, ARRAY:INDEX, or @LABEL.")
    var references: [String] = []

    @Flag(help: "Watch every job being prepared or running, and the ones started later.")
    var all = false

    @Flag(help: "Also print each line of the jobs' output, tagged with its job.")
    var output = false

    @Flag(help: "With --all or @LABEL, end once no watched job is left running (with ids, always).")
    var untilDone = false

    @Flag(help: "Print JSON Lines: one object per line.")
    var json = false

    func validate() throws {
        if references.isEmpty && !all { throw ValidationError("Give the jobs to watch, @LABEL, or --all.") }
        if !references.isEmpty && all { throw ValidationError("Give ids, @LABEL or --all, not more than one of them.") }
        let labels = references.filter { $0.hasPrefix("@") }
        if !labels.isEmpty && references.count > 1 {
            throw ValidationError("Give one @LABEL alone, or ids.")
        }
    }

    /// Which jobs are watched.
    private enum Scope {
        case jobs([String])
        case label(String)
        case all

        /// Whether jobs started later are watched too.
        var growing: Bool {
            if case .jobs = self { return false }
            return true
        }
    }

    func run() async throws {
        let scope: Scope
        if all {
            scope = .all
        } else if let label = references.first, label.hasPrefix("@") {
            scope = .label(String(label.dropFirst()))
        } else {
            scope = .jobs(references)
        }
        let printer = WatchPrinter(json: json)
        let followOutput = output
        let untilDone = self.untilDone || !scope.growing
        try await reportingErrors {
            try await EngineFactory.withEngine { engine in
                if case .label(let label) = scope,
                    try await engine.loadWorkers().workers(labelled: label).isEmpty
                {
                    throw RemoteJobsError.invalidArgument("No worker carries the label '\(label)'.")
                }
                do {
                    return try await InterruptWatcher.run {
                        var session = WatchSession(
                            watch: JobStatusWatch(engine: engine), printer: printer, followOutput: followOutput)
                        if case .jobs(let references) = scope {
                            var records: [JobRecord] = []
                            for reference in references { records += try await engine.jobs(named: reference) }
                            await session.add(records)
                        }
                        return try await session.run(engine: engine, scope: scope, untilDone: untilDone)
                    }
                } catch is CancellationError {
                    return 130
                }
            }
        }
    }

    /// The state of one `p watch`: which jobs it knows and which still run.
    private struct WatchSession {
        let watch: JobStatusWatch
        let printer: WatchPrinter
        let followOutput: Bool
        var pending: Set<String> = []
        var known: Set<String> = []
        /// Ended jobs whose output is printed first, and their status line after it.
        var unannounced: Set<String> = []

        init(watch: JobStatusWatch, printer: WatchPrinter, followOutput: Bool) {
            self.watch = watch
            self.printer = printer
            self.followOutput = followOutput
        }

        /// Starts watching `records`, printing each one's status now.
        mutating func add(_ records: [JobRecord]) async {
            let new = records.filter { known.insert($0.id).inserted }
            for now in await watch.watch(new, followingOutput: followOutput) { await announce(now) }
        }

        private mutating func announce(_ now: JobRecord) async {
            if now.status.isActive {
                printer.status(now, event: "status")
                pending.insert(now.id)
            } else if followOutput {
                unannounced.insert(now.id)
                pending.insert(now.id)
            } else {
                printer.status(now, event: "status")
                await watch.unwatch(now.id)
            }
        }

        /// Adds the jobs in `scope` started since the last look (for --all and @LABEL).
        mutating func addNew(engine: JobEngine, scope: Scope) async {
            var labelled: Set<String>?
            if case .label(let label) = scope {
                labelled = Set(((try? await engine.loadWorkers())?.workers(labelled: label) ?? []).map(\.name))
            }
            let new = await engine.localRecords().filter { record in
                record.status.isActive && !known.contains(record.id)
                    && (labelled.map { $0.contains(record.worker) } ?? true)
            }
            await add(new)
        }

        /// Prints the events until the watched jobs ended (`untilDone`) or forever.
        mutating func run(engine: JobEngine, scope: Scope, untilDone: Bool) async throws -> Int32 {
            // The watch's events, and a tick each second: with --all or @LABEL, jobs started
            // since are looked for even while no watched job has news.
            let (inputs, feed) = AsyncStream<JobStatusWatch.Event?>.makeStream()
            let events = watch.events()
            let pump = Task {
                for await event in events { feed.yield(event) }
                feed.finish()
            }
            let ticker = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(1))
                    feed.yield(nil)
                }
            }
            defer {
                pump.cancel()
                ticker.cancel()
            }
            var lastLook = ContinuousClock.now - .seconds(10)
            var iterator = inputs.makeAsyncIterator()
            while true {
                // Ctrl+C cancels the watch (exit 130), not a clean end.
                try Task.checkCancellation()
                if scope.growing && ContinuousClock.now - lastLook >= .seconds(1) {
                    lastLook = ContinuousClock.now
                    await addNew(engine: engine, scope: scope)
                    if untilDone && pending.isEmpty { return 0 }
                }
                if !scope.growing && pending.isEmpty { return 0 }
                guard let input = await iterator.next() else {
                    try Task.checkCancellation()
                    return 0
                }
                guard let event = input else { continue }
                switch event {
                case .output(let record, let bytes, let offset):
                    printer.output(record, bytes: bytes, offset: offset)
                case .gap(let record, let gap):
                    printer.gap(record, gap)
                case .changed(let record):
                    if !record.status.isActive { printer.flushOutput(of: record) }
                    printer.status(record, event: unannounced.remove(record.id) == nil ? "changed" : "status")
                    if !record.status.isActive {
                        pending.remove(record.id)
                        await watch.unwatch(record.id)
                    }
                }
            }
        }
    }
}

/// Writes `p watch`'s lines, flushed at once: human lines or JSON Lines. Output is split
/// into lines; a job's last partial line is written when the job ends.
final class WatchPrinter: @unchecked Sendable {
    // Used by one task at a time (the watch's loop).
    private let json: Bool
    /// Job id → bytes of a line not yet ended, and the offset of its first byte.
    private var partial: [String: (bytes: [UInt8], offset: UInt64)] = [:]
    /// Made once: a formatter is costly to make, and `--output` writes a line per line.
    private let clock = ISO8601DateFormatter()

    init(json: Bool) { self.json = json }

    /// A status line.
    func status(_ record: JobRecord, event: String) {
        if json {
            var object = base(record, event: event)
            object["status"] = record.status.name
            if let code = record.status.exitCode, !record.status.isActive { object["exit_code"] = Int(code) }
            if let reason = record.status.reason { object["reason"] = reason }
            write(object)
        } else {
            write(line: "\(JobFormatting.name(record))  \(record.status.display)")
        }
    }

    /// The complete lines among `bytes`; what follows the last newline waits for more.
    func output(_ record: JobRecord, bytes: [UInt8], offset: UInt64) {
        var pending = partial[record.id] ?? ([], offset)
        if pending.bytes.isEmpty { pending.offset = offset }
        var start = bytes.startIndex
        while let newline = bytes[start...].firstIndex(of: 0x0A) {
            let line = pending.bytes + bytes[start..<newline]
            outputLine(record, line, offset: pending.offset)
            pending = ([], offset + UInt64(newline + 1 - bytes.startIndex))
            start = newline + 1
        }
        pending.bytes += bytes[start...]
        partial[record.id] = pending
    }

    /// The job's last line if it did not end with a newline.
    func flushOutput(of record: JobRecord) {
        if let pending = partial.removeValue(forKey: record.id), !pending.bytes.isEmpty {
            outputLine(record, pending.bytes, offset: pending.offset)
        }
    }

    /// A note that a capped log dropped bytes.
    func gap(_ record: JobRecord, _ gap: LogGap) {
        flushOutput(of: record)
        if json {
            var object = base(record, event: "gap")
            object["from"] = Int(gap.from)
            object["to"] = Int(gap.to)
            write(object)
        } else {
            write(line: "\(JobFormatting.name(record))| \(gap.notice(cap: record.maxLog))")
        }
    }

    private func outputLine(_ record: JobRecord, _ bytes: [UInt8], offset: UInt64) {
        let text = String(decoding: bytes, as: UTF8.self)
        if json {
            var object = base(record, event: "output")
            object["line"] = text
            object["offset"] = Int(offset)
            write(object)
        } else {
            write(line: "\(JobFormatting.name(record))| \(text)")
        }
    }

    private func base(_ record: JobRecord, event: String) -> [String: Any] {
        var object: [String: Any] = [
            "event": event, "job_id": record.id, "worker": record.worker,
            "at": clock.string(from: Date()),
        ]
        if let array = record.array {
            object["array_id"] = array.id
            object["index"] = array.index
        }
        return object
    }

    private func write(_ object: [String: Any]) {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        write(line: String(decoding: data, as: UTF8.self))
    }

    private func write(line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}
