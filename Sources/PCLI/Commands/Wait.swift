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
            128+N for a job stopped by signal N, 124 for one stopped by its --timeout, 1 for one \
            whose end is unknown. Jobs started with --pull bring their results back as they \
            end (a failed pull makes the exit code 1 when the jobs succeeded). With \
            --timeout, the wait ends (the jobs do not) with exit code 124 when they are not \
            all done in time, as timeout(1) does.

            Examples:
              a=$(p -d -- make a); b=$(p -d -- make b); p wait $a $b && echo both built
              p wait --timeout 10m 3f2a
              p wait 9c1e            (an array: every element; the failed ones are named)
            """
    )

    @Argument(help: "The jobs' ids (unique prefixes), arrays' ids (all their elements), or ARRAY:INDEX.")
    var ids: [String]

    @Option(help: "Stop waiting after this long (90s, 5m, 2h) and exit 124; the jobs keep running.")
    var timeout: DurationArgument?

    @Flag(help: "Say on the desktop (notify-send, osascript), or with the terminal's bell, as each job ends.")
    var notify = false

    func validate() throws {
        if ids.isEmpty { throw ValidationError("Give the ids of the jobs to wait for (see `p ls`).") }
    }

    func run() async throws {
        try await reportingErrors { try await execute() }
    }

    private func execute() async throws -> Int32 {
        try await EngineFactory.withEngine { engine in
            let notifications = Notifications()
            let outcome = try await engine.wait(for: ids, timeout: timeout?.duration) { [notify] record in
                print("\(JobFormatting.name(record))  \(record.status.display)")
                if notify { notifications.add(Task { await EndNotifier.notify(record) }) }
            }
            await notifications.finish()
            let pulled = await ResultsReport.pullDue(outcome.ended, engine: engine)
            if outcome.ended.count > 1, let line = JobFormatting.failureLine(outcome.ended) { Report.note(line) }
            if !outcome.stillRunning.isEmpty {
                Report.note(
                    "p: the timeout ended the wait; still running: "
                        + outcome.stillRunning.map { String($0.prefix(8)) }.joined(separator: ", "))
            }
            return outcome.exitCode == 0 && !pulled ? 1 : outcome.exitCode
        }
    }
}

/// The notifications `p wait --notify` started as jobs ended, awaited before p exits.
private final class Notifications: @unchecked Sendable {
    private let lock = NSLock()
    private var tasks: [Task<Void, Never>] = []  // guarded by `lock`

    func add(_ task: Task<Void, Never>) { lock.withLock { tasks.append(task) } }

    func finish() async {
        for task in lock.withLock({ tasks }) { await task.value }
    }
}
