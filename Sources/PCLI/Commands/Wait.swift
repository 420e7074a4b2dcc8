import ArgumentParser
import Foundation
import RemoteJobs

/// `p wait <id>...`: block until jobs end, for scripts.
struct Wait: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Wait until jobs end; exit with the exit code of the first one that failed.",
        discussion: """
            Prints each job's id and status as it ends. Exits 0 when all succeeded, else with \
            the exit code of the first job (in the order given) that did not: its own code, \
            128+N for a job stopped by signal N, 1 for one whose end is unknown. With \
            --timeout, the wait ends (the jobs do not) with exit code 124 when they are not \
            all done in time, as timeout(1) does.

            Examples:
              a=$(p -d -- make a); b=$(p -d -- make b); p wait $a $b && echo both built
              p wait --timeout 10m 3f2a
            """
    )

    /// The exit code when `--timeout` ends the wait.
    static let timedOut: Int32 = 124

    @Argument(help: "The jobs' ids (unique prefixes).")
    var ids: [String]

    @Option(help: "Stop waiting after this long (90s, 5m, 2h) and exit 124; the jobs keep running.")
    var timeout: DurationArgument?

    func validate() throws {
        if ids.isEmpty { throw ValidationError("Give the ids of the jobs to wait for (see `p ls`).") }
    }

    func run() async throws {
        try await reportingErrors { try await execute() }
    }

    private func execute() async throws -> Int32 {
        let engine = EngineFactory.make()
        defer { Task { await engine.close() } }
        // Every id is resolved before anything waits: a typo fails at once.
        let records = try ids.map { try engine.record($0) }
        let ended = try await withThrowingTaskGroup(of: JobRecord?.self) { group in
            for record in records {
                group.addTask {
                    let done = try await engine.wait(record.id)
                    print("\(done.shortID)  \(done.status.display)")
                    return done
                }
            }
            if let timeout {
                group.addTask {
                    try await Task.sleep(for: timeout.duration)
                    return nil
                }
            }
            var ended: [String: JobRecord] = [:]
            while ended.count < records.count, let next = try await group.next() {
                guard let record = next else {
                    group.cancelAll()
                    return ended
                }
                ended[record.id] = record
            }
            group.cancelAll()
            return ended
        }
        guard ended.count == records.count else {
            let waiting = records.filter { ended[$0.id] == nil }.map(\.shortID)
            Report.note("p: the timeout ended the wait; still running: \(waiting.joined(separator: ", "))")
            return Self.timedOut
        }
        for record in records {
            let code = JobFormatting.exitCode(ended[record.id] ?? record)
            if code != 0 { return code }
        }
        return 0
    }
}
