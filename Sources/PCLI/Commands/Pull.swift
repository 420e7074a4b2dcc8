import ArgumentParser
import Foundation
import RemoteJobs

/// `p pull <id> <remote-path> [<local-dest>]`: copy results back.
struct Pull: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy a file or directory from a job's work directory to here.",
        discussion: """
            The remote path is relative to the job's work directory; paths that leave it are \
            refused. Without a destination, the copy lands in the current directory under its \
            own name; a destination that is a directory receives it inside.

            Without a path, brings back the results of a job started with --pull (what its \
            patterns match, into its results directory, replacing an earlier pull's), or of \
            every element of an array.

            Examples:
              p pull 3f2a out/model.pt .
              p pull 3f2a                 (its --pull results, into ./p-results/<id>/)
              p pull 9c1e                 (an array's: ./p-results/<array>/<index>/)
            """
    )

    @Argument(help: "The job's id (unique prefix), or with no path an array's id or ARRAY:INDEX.")
    var id: String

    @Argument(help: "The path inside the job's work directory (none: the job's --pull results).")
    var remotePath: String?

    @Argument(help: "Where to put it (default: here, under its own name).")
    var localDestination: String?

    func validate() throws {
        if remotePath?.isEmpty == true {
            throw ValidationError(
                "The remote path is empty; give a path inside the job's work directory (`.` for all of it).")
        }
        if localDestination?.isEmpty == true {
            throw ValidationError("The destination is empty; give a local path, or leave it out to pull here.")
        }
    }

    func run() async throws {
        try await reportingErrors {
            return try await EngineFactory.withEngine { engine in
                guard let remotePath else {
                    if localDestination != nil {
                        throw RemoteJobsError.invalidArgument(
                            "A destination goes with a path; a job's --pull results go to the directory it was started with (--pull-to)."
                        )
                    }
                    var status: Int32 = 0
                    for record in try await engine.jobs(named: id) {
                        do {
                            ResultsReport.report(try await engine.pullResults(record.id))
                        } catch let error as RemoteJobsError where !error.isConnectionFailure {
                            Report.error("\(error)")
                            status = 1
                        }
                    }
                    return status
                }
                let progress = ProgressLine()
                let written = try await engine.pull(
                    id, remotePath: remotePath, to: localDestination,
                    progress: progress.isEnabled ? progress.update : nil)
                progress.finish()
                Report.note("pulled \(remotePath) → \(written)")
                return 0
            }
        }
    }
}
