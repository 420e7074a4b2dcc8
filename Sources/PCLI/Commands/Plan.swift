import ArgumentParser
import Foundation
import RemoteJobs

/// `p _plan [dir]`: what a sync of the directory would copy, and how long planning took
/// (for benchmarks and for checking ignore rules: `--list` prints the paths).
struct Plan: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "_plan", abstract: "Show what directory sync would copy.", shouldDisplay: false)

    @Argument(help: "The directory (default: the current one).")
    var directory: String?

    @Flag(help: "Print the paths, one per line.")
    var list = false

    func run() async throws {
        try await reportingErrors {
            let root = try Run.absoluteDirectory(directory)
            let clock = ContinuousClock()
            let start = clock.now
            let plan = try SyncPlanner.plan(root: root)
            let elapsed = clock.now - start
            if list {
                for entry in plan.entries { print(entry.path) }
            }
            let files = plan.entries.filter { $0.kind == .file }.count
            let directories = plan.entries.filter { $0.kind == .directory }.count
            let seconds = elapsed.inSeconds
            Report.note(
                String(
                    format: "%d files, %d directories, %d links, %@; %d skipped; planned in %.1f ms", files,
                    directories, plan.entries.count - files - directories, ProgressLine.bytes(plan.totalBytes),
                    plan.skipped.count, seconds * 1000))
            return 0
        }
    }
}
