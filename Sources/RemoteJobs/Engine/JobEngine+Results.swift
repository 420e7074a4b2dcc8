import Foundation
import SSHTransport

/// What `JobEngine.pullResults` brought back of one job.
public struct ResultsPull: Sendable {
    /// The job, its record saying its results were pulled.
    public var job: JobRecord
    /// The local directory they went into.
    public var directory: String
    /// What was copied, relative to the work directory (a directory with all it holds).
    public var pulled: [String]
    /// Matches that were not copied, and why (a link out of the work directory, a link in
    /// the way locally).
    public var refused: [(path: String, reason: String)]
}

extension JobEngine {
    /// Brings back the results of an ended job started with result patterns
    /// (`JobRequest.pull`): every match of its patterns in its work directory, matched on
    /// the worker by the shell's own globbing, is copied byte-exact into the job's results
    /// directory (`JobRecord.resultsDirectory`: `p-results/ID`, or `ARRAY/INDEX` for an
    /// element), keeping its path. A results directory from an earlier pull of the same job
    /// is replaced.
    ///
    /// As `pull(_:remotePath:to:progress:)`: a match whose real path leaves the work
    /// directory (a link a job planted) is refused, and nothing is written through a
    /// symbolic link on this side: no part of a result's local path below the results
    /// directory may be a link.
    /// - Throws: `RemoteJobsError.invalidArgument` for a job without result patterns or
    ///   one that still runs; connection errors.
    public func pullResults(_ idPrefix: String) async throws -> ResultsPull {
        var record = try await loadRecord(idPrefix)
        guard !record.pull.isEmpty, let directory = record.resultsDirectory else {
            throw RemoteJobsError.invalidArgument(
                "Job \(record.shortID) was started without --pull: give the path to copy (`p pull \(record.shortID) PATH`)."
            )
        }
        guard !record.status.isActive else {
            throw RemoteJobsError.invalidArgument(
                "Job \(record.shortID) is \(record.status.name): its results come back once it ends (`p wait \(record.shortID)`)."
            )
        }
        let matches = try await link(of: record).ask(
            MatchResultsScript(workdir: record.workdirPath, patterns: record.pull))
        let relative = Self.outermost(
            matches.compactMap { try? Self.normalizedRelativePath($0) }.filter { !$0.isEmpty })
        try await BlockingWork.run { try Self.prepareResultsDirectory(directory) }
        var pulled: [String] = []
        var refused: [(path: String, reason: String)] = []
        for path in relative {
            do {
                let parent = try await BlockingWork.run {
                    try Self.localParent(of: path, in: directory)
                }
                _ = try await pull(record, relative: path, as: path, to: parent)
                pulled.append(path)
            } catch let error as RemoteJobsError {
                switch error {
                case .pathOutsideWorkdir, .linkInDestination, .localDestination, .remoteFailure:
                    refused.append((path, "\(error)"))
                default:
                    throw error
                }
            }
        }
        record.resultsPulled = true
        try await saveRecord(record)
        return ResultsPull(job: record, directory: directory, pulled: pulled, refused: refused)
    }

    /// `pullResults` for a job whose results are due: it has result patterns, has ended
    /// (not lost: `unknown` has no files to trust) and none were pulled yet. nil otherwise.
    public func pullResultsIfDue(_ record: JobRecord) async throws -> ResultsPull? {
        guard !record.pull.isEmpty, !record.resultsPulled, !record.status.isActive,
            record.status.removal == .ended
        else { return nil }
        return try await pullResults(record.id)
    }

    /// The results directory of a job: `base/ID`, or `base/ARRAY/INDEX` for an element,
    /// `base` being `pullTo` or `cwd/p-results`.
    static func resultsDirectory(for record: JobRecord, request: JobRequest) -> String? {
        guard !request.pull.isEmpty else { return nil }
        let base = request.pullTo ?? (request.cwd + "/" + SyncPlanner.resultsDirectoryName)
        guard let array = record.array else { return base + "/" + record.id }
        return base + "/" + array.id + "/" + String(array.index)
    }

    /// The paths with none inside another of them (a directory brings what it holds).
    static func outermost(_ paths: [String]) -> [String] {
        paths.filter { path in !paths.contains { $0 != path && path.hasPrefix($0 + "/") } }
    }

    /// Makes the results directory afresh: an earlier pull's is removed (it holds only what
    /// p put there), its parents made as needed.
    private static func prepareResultsDirectory(_ directory: String) throws {
        var info = stat()
        if lstat(directory, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFDIR else { throw RemoteJobsError.linkInDestination(path: directory) }
            try FileManager.default.removeItem(atPath: directory)
        }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw RemoteJobsError.localDestination(detail: "cannot make \(directory): \(error.localizedDescription)")
        }
    }

    /// The local directory a result at `path` goes into, made below `directory` one part at
    /// a time, never through a symbolic link.
    private static func localParent(of path: String, in directory: String) throws -> String {
        var current = directory
        for part in path.split(separator: "/").dropLast() {
            current += "/" + part
            var info = stat()
            if lstat(current, &info) == 0 {
                guard info.st_mode & S_IFMT == S_IFDIR else { throw RemoteJobsError.linkInDestination(path: current) }
            } else if mkdir(current, 0o755) != 0 {
                throw RemoteJobsError.localDestination(
                    detail: "cannot make \(current): \(String(cString: strerror(errno)))")
            }
        }
        return current
    }
}
