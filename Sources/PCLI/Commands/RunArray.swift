import ArgumentParser
import Foundation
import RemoteJobs

extension Run {
    /// The array `--array`, `--each` or `--each-from` asks for, if any.
    func readArray() throws -> JobArray? {
        if let array { return try JobArray.parse(array) }
        if !each.isEmpty { return try JobArray.each(each, cap: cap) }
        guard let eachFrom else { return nil }
        let text: String
        do {
            text = try String(contentsOfFile: eachFrom, encoding: .utf8)
        } catch {
            throw RemoteJobsError.invalidArgument("--each-from \(eachFrom): cannot read it as UTF-8 text (\(error)).")
        }
        return try JobArray.lines(text, cap: cap)
    }

    /// Starts a job array and, unless detached, waits for its elements as `p wait` does:
    /// a line per element as it ends, exit 0 only when all succeeded, else the first
    /// failure's code (by index) with the failed elements named. Ctrl+C detaches.
    func runArray(
        _ array: JobArray? = nil, retrying failedOf: String? = nil, request: JobRequest, engine: JobEngine,
        observer: SyncObserver, progress: ProgressLine
    ) async throws -> Int32 {
        let submission: ArraySubmission
        do {
            let cap = self.cap
            submission = try await InterruptWatcher.run {
                if let failedOf {
                    return try await engine.retryFailed(failedOf, request: request, cap: cap, sync: observer)
                }
                guard let array else { throw RemoteJobsError.invalidArgument("no array to start") }
                return try await engine.submitArray(request, array: array, sync: observer)
            }
        } catch is CancellationError {
            progress.finish()
            Report.note("\n[Interrupted while the array was being started: `p ls -a` shows what started]")
            return 130
        }
        progress.finish()
        let shortID = String(submission.id.prefix(8))
        let spread = submission.spread.shares.map { share in
            "\(share.worker) \(share.elements.count)" + (share.cap.map { " (\($0) at once)" } ?? "")
        }.joined(separator: ", ")
        for failure in submission.failures.prefix(20) {
            Report.error("element \(failure.index) was not started on \(failure.worker): \(failure.reason)")
        }
        if detach || verbose {
            Report.note("p: array \(shortID): \(submission.records.count) elements on \(spread)")
        }
        if detach {
            print(submission.id)
            if let note = ResultsReport.laterNote(submission.id, patterns: request.pull) { Report.note(note) }
            return submission.failures.isEmpty ? 0 : 1
        }
        Report.note(
            "p: array \(shortID) started (\(submission.records.count) elements); Ctrl+C detaches, `p wait \(shortID)` waits again"
        )
        do {
            let outcome = try await InterruptWatcher.run {
                try await engine.wait(for: submission.records.map(\.id)) { record in
                    print("\(JobFormatting.name(record))  \(record.status.display)")
                }
            }
            let pulled = await ResultsReport.pullDue(outcome.ended, engine: engine)
            if let line = JobFormatting.failureLine(outcome.ended, counting: "elements") { Report.note(line) }
            return (submission.failures.isEmpty && pulled) || outcome.exitCode != 0 ? outcome.exitCode : 1
        } catch is CancellationError {
            Report.note("\n[Detached from array \(shortID); its elements keep running: `p wait \(shortID)`]")
            return 130
        }
    }
}
