/// Removes the files of jobs on one worker.
struct RemoveScript: WorkerScript {
    /// The worker's root for p's files.
    var root: String
    var jobIDs: [String]

    var arguments: [String] { [root] + jobIDs }

    /// Removes the files of jobs: arguments `R ids...`. Write permission is restored first,
    /// since build tools leave read-only trees (Go's module cache) that `rm -rf` refuses.
    static let source =
        #"R=$1; shift; for i in "$@"; do chmod -R u+w "$R/workdirs/$i" 2>/dev/null; rm -rf "$R/jobs/$i" "$R/workdirs/$i"; done"#
}
