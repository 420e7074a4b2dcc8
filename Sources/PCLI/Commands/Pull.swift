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
            """
    )

    @Argument(help: "The job's id (unique prefix).")
    var id: String

    @Argument(help: "The path inside the job's work directory.")
    var remotePath: String

    @Argument(help: "Where to put it (default: here, under its own name).")
    var localDestination: String?

    func validate() throws {
        if remotePath.isEmpty {
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
