import ArgumentParser
import Foundation
import RemoteJobs

/// `p watch [--json] ID...|--all`: a line per change of the jobs' status, as it happens.
struct Watch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a line each time a job's status changes, as it happens (JSON Lines with --json).",
        discussion: """
            Each watched job gets a line with its status now, then one per change (queued, \
            running, paused, done, failed, stopped, unknown), written and flushed at once: for \
            a script (`p watch --json ID | jq`) or an agent's tool that reports each line a \
            background command prints. With ids (an array's id watches its elements), it ends \
            once they all ended; with --all it watches every job being prepared or running, \
            and the ones started later, until interrupted. The workers are asked through one \
            long-lived exec each, every 250 ms.

            JSON fields: event ("status" for the first line of a job, "changed" after), \
            job_id, array_id and index (for an element), worker, status, exit_code (once \
            ended), reason (unknown, queued), at (ISO 8601).

            Examples:
              p watch --json 3f2a
              p watch 9c1e                 (every element of an array)
              p watch --all --json | jq -c 'select(.status == "failed")'
            """
    )

    @Argument(help: "The jobs' ids (unique prefixes), arrays' ids, or ARRAY:INDEX.")
    var ids: [String] = []

    @Flag(help: "Watch every job being prepared or running, and the ones started later, until interrupted.")
    var all = false

    @Flag(help: "Print JSON Lines: one object per line.")
    var json = false

    func validate() throws {
        if ids.isEmpty && !all { throw ValidationError("Give the jobs to watch, or --all.") }
        if !ids.isEmpty && all { throw ValidationError("Give ids or --all, not both.") }
    }

    func run() async throws {
        try await reportingErrors {
            try await EngineFactory.withEngine { engine in
                let watch = JobStatusWatch(engine: engine)
                var pending: Set<String> = []
                for reference in ids {
                    for record in try await engine.jobs(named: reference) {
                        let now = try await watch.watch(record.id)
                        Self.print(now, event: "status", json: json)
                        if now.status.isActive { pending.insert(now.id) }
                    }
                }
                if !all && pending.isEmpty { return 0 }
                let first = pending
                do {
                    return try await watchUntilDone(first: first, watch: watch, engine: engine)
                } catch is CancellationError {
                    return 130
                }
            }
        }
    }

    /// Prints each change until the watched jobs ended (or, with `all`, until interrupted).
    private func watchUntilDone(first: Set<String>, watch: JobStatusWatch, engine: JobEngine) async throws -> Int32 {
        let json = self.json
        let all = self.all
        return try await InterruptWatcher.run {
            var pending = first
            var known = first
            var lastLook = ContinuousClock.now - .seconds(10)
            let changes = watch.changes()
            var iterator = changes.makeAsyncIterator()
            while true {
                if all && ContinuousClock.now - lastLook > .seconds(1) {
                    // Jobs started since: watched from their first status on.
                    lastLook = ContinuousClock.now
                    for record in await engine.list(all: false).records where !known.contains(record.id) {
                        known.insert(record.id)
                        if let now = try? await watch.watch(record.id) {
                            Self.print(now, event: "status", json: json)
                        }
                    }
                }
                guard let record = await iterator.next() else { return 0 }
                Self.print(record, event: "changed", json: json)
                if !record.status.isActive {
                    pending.remove(record.id)
                    await watch.unwatch(record.id)
                    if !all && pending.isEmpty { return 0 }
                }
            }
        }
    }

    /// One line about `record`, flushed at once.
    static func print(_ record: JobRecord, event: String, json: Bool) {
        let line: String
        if json {
            var object: [String: Any] = [
                "event": event, "job_id": record.id, "worker": record.worker, "status": record.status.name,
                "at": ISO8601DateFormatter().string(from: Date()),
            ]
            if let array = record.array {
                object["array_id"] = array.id
                object["index"] = array.index
            }
            if let code = record.status.exitCode, !record.status.isActive { object["exit_code"] = Int(code) }
            if let reason = record.status.reason { object["reason"] = reason }
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
            line = String(decoding: data, as: UTF8.self)
        } else {
            line = "\(JobFormatting.name(record))  \(record.status.display)"
        }
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}
