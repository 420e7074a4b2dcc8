import Foundation
import RemoteJobs

/// Brings back the results (`--pull`) of ended jobs whose results are due, and says what
/// came back: what `p -- ...`, `p wait` and `p logs -f` do as jobs end.
enum ResultsReport {
    /// Pulls the due results of each record, one job after another, noting each on stderr.
    /// A failure is reported and the others still go.
    /// - Returns: whether every due pull succeeded.
    @discardableResult
    static func pullDue(_ records: [JobRecord], engine: JobEngine) async -> Bool {
        var succeeded = true
        for record in records {
            do {
                if let pulled = try await engine.pullResultsIfDue(record) { report(pulled) }
            } catch {
                Report.error("the results of job \(JobFormatting.name(record)) were not pulled: \(error)")
                succeeded = false
            }
        }
        return succeeded
    }

    /// One job's pull, in a line (and a line per match refused).
    static func report(_ pulled: ResultsPull) {
        let cwd = FileManager.default.currentDirectoryPath
        let shown =
            pulled.directory.hasPrefix(cwd + "/") ? "." + pulled.directory.dropFirst(cwd.count) : pulled.directory
        Report.note(
            "p: results of \(JobFormatting.name(pulled.job)): \(pulled.pulled.count) path(s) → \(shown)"
                + (pulled.pulled.isEmpty ? " (nothing matched \(pulled.job.pull.joined(separator: " ")))" : ""))
        for refusal in pulled.refused { Report.error("not pulled: \(refusal.path): \(refusal.reason)") }
    }

    /// What a detached start says about its results.
    static func laterNote(_ id: String, patterns: [String]) -> String? {
        guard !patterns.isEmpty else { return nil }
        let short = String(id.prefix(8))
        return
            "p: the results (--pull) come back with `p wait \(short)`, `p logs -f \(short)` or `p pull \(short)` once it ended"
    }
}
