import SSHTransport

/// The copying tools a worker has.
struct WorkerTools: Equatable {
    var rsync: Bool
    var tar: Bool
}

/// What the directory step found on the worker.
struct PreparedWorkdir: Equatable {
    var tools: WorkerTools
    /// Symbolic links the last job left where the plan has directories, replaced (in place
    /// only; `.` is the work directory itself).
    var replacedLinks: [String]
    /// Whether the spare copy of the last work directory became this one (`spare`).
    var tookSpare = false
}

/// Prepares a work directory for a copy and makes the plan's directories in one exec.
struct MakeDirectoriesScript: AnsweringScript {
    /// The work directory.
    var workdir: String
    /// `R/jobs/ID` of the job being prepared (holds the lists).
    var jobDirectory: String
    /// The plan's directories, parents first, with their modes.
    var directories: [(mode: UInt32, path: String)]
    /// In place (a persistent work directory a job has used): the paths the last sync left
    /// that the client no longer has, removed first. Nil for a fresh work directory.
    var stale: [String]?
    /// For a fresh work directory: the spare copy of the last one (`R/spares/ID`, made by
    /// `SpareCopy` after the last sync), taken as this one if it is there, and then the
    /// paths `stale` lists removed from it as in place.
    var spare: (path: String, stale: [String])? = nil

    private var removed: [String]? { spare?.stale ?? stale }

    private var removals: [UInt8] { (removed ?? []).flatMap { Array($0.utf8) + [0] } }

    var arguments: KeyValuePairs<String, String> {
        [
            "workdir": workdir, "job": jobDirectory, "stale_length": "\(removals.count)",
            "in_place": stale == nil ? "0" : "1", "directory_pass": Self.directoryPass, "stale_pass": Self.stalePass,
            "spare": spare?.path ?? "",
        ]
    }

    /// The paths to remove, then `MODE/path` per directory (owner rwx added, so the copy
    /// can fill it), all NUL-terminated.
    var input: [UInt8] {
        var input = removals
        for directory in directories {
            input += Array(String((directory.mode | 0o700) & 0o7777, radix: 8).utf8) + [UInt8(ascii: "/")]
            input += Array(directory.path.utf8) + [0]
        }
        return input
    }

    func answer(stdout: [UInt8], result: ScriptResult, worker: String) throws(RemoteJobsError) -> PreparedWorkdir {
        guard result.status == .exited(0) else {
            throw .syncFailed(
                worker: worker, detail: "could not create the work directory's folders: " + result.failureDetail)
        }
        return Self.parse(stdout)
    }

    /// NUL-terminated records: `l<path>` per link replaced, `t<tool>` per copying tool, `s`
    /// when the spare copy was taken.
    static func parse(_ output: [UInt8]) -> PreparedWorkdir {
        var prepared = PreparedWorkdir(tools: WorkerTools(rsync: false, tar: false), replacedLinks: [])
        for record in output.split(separator: 0) {
            let text = String(decoding: record.dropFirst(), as: UTF8.self)
            switch record.first {
            case UInt8(ascii: "l"): prepared.replacedLinks.append(text)
            case UInt8(ascii: "t") where text == "rsync": prepared.tools.rsync = true
            case UInt8(ascii: "t") where text == "tar": prepared.tools.tar = true
            case UInt8(ascii: "s"): prepared.tookSpare = true
            default: break
            }
        }
        return prepared
    }

    /// `Worker/make-directories.sh`.
    static let repeatable = true
    static let file = "make-directories.sh"
    static let source = WorkerShell.program(file)

    /// The pass over the directory records, `Worker/make-directories-pass.sh`.
    static let directoryPass = WorkerShell.program("make-directories-pass.sh")

    /// The pass over the paths to remove, `Worker/make-directories-stale.sh`.
    static let stalePass = WorkerShell.program("make-directories-stale.sh")
}
