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

    private var removals: [UInt8] { (stale ?? []).flatMap { Array($0.utf8) + [0] } }

    var arguments: [String] {
        [workdir, jobDirectory, "\(removals.count)", stale == nil ? "0" : "1", Self.directoryPass, Self.stalePass]
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

    /// NUL-terminated records: `l<path>` per link replaced, `t<tool>` per copying tool.
    static func parse(_ output: [UInt8]) -> PreparedWorkdir {
        var prepared = PreparedWorkdir(tools: WorkerTools(rsync: false, tar: false), replacedLinks: [])
        for record in output.split(separator: 0) {
            let text = String(decoding: record.dropFirst(), as: UTF8.self)
            switch record.first {
            case UInt8(ascii: "l"): prepared.replacedLinks.append(text)
            case UInt8(ascii: "t") where text == "rsync": prepared.tools.rsync = true
            case UInt8(ascii: "t") where text == "tar": prepared.tools.tar = true
            default: break
            }
        }
        return prepared
    }

    /// Prepares the work directory `W` for a copy and makes the plan's directories, in one
    /// exec for a whole tree (SFTP needs a round trip per directory). Arguments:
    /// `W J staleLength inPlace directoryPass stalePass` (J holds the lists; the two passes
    /// are `directoryPass` and `stalePass`, run by `xargs`). Stdin holds first the paths to
    /// remove (`staleLength` bytes), then one record per directory, `MODE/path`, parents
    /// before children; all NUL-separated, since any byte but NUL is fine in a name.
    ///
    /// In place (`inPlace` 1, a persistent work directory a job has used), nothing is
    /// written through a symbolic link the last job planted: `W` itself is made a directory
    /// again if it is not one; a removed path is skipped when a directory above it is a link
    /// (what is behind it is not the work directory's); and every planned directory that is
    /// a link (or any other non-directory) is removed before the directories are made, so
    /// no later step passes through it. Files and links at their final component are
    /// replaced by every transport, never written through.
    ///
    /// Prints NUL-terminated records: `l<path>` for each link replaced, `t<tool>` for the
    /// copying tools (rsync, tar) the worker has.
    static let source = [
        #"umask 077; mkdir -p "$2" && L=$(cd "$2" && pwd)/dirs || exit 1"#,
        #"if [ "$4" = 1 ] && { [ -L "$1" ] || { [ -e "$1" ] && [ ! -d "$1" ]; }; }; then rm -f "$1" && printf "l.\000"; fi"#,
        #"mkdir -p "$1" && cd "$1" || exit 1; head -c "$3" > "$L.stale"; cat > "$L.all""#,
        #"if [ "$4" = 1 ]; then xargs -0 -r sh -c "$6" sh < "$L.stale" | xargs -0 -r rm -rf --; fi"#,
        #"I=$4 xargs -0 -r sh -c "$5" "$L" < "$L.all"; c=0"#,
        #"for f in "$L".[0-7]*; do if [ -f "$f" ]; then xargs -0 -r mkdir -p -- < "$f" && xargs -0 -r chmod "${f##*.}" -- < "$f" || c=1; rm -f "$f"; fi; done; rm -f "$L.all" "$L.stale""#,
        #"for t in rsync tar; do if command -v $t > /dev/null 2>&1; then printf "t%s\000" $t; fi; done; exit $c"#,
    ].joined(separator: "; ")

    /// `makeDirectories`' pass over the directory records (`MODE/path`, in `$@`, parents
    /// first): with `I` = 1, a link or non-directory at a directory's path is removed (links
    /// reported as `l<path>`); each path is appended to the list of its mode, `$0.MODE`.
    static let directoryPass =
        #"for r; do d=${r#*/}; if [ "$I" = 1 ]; then if [ -L "$d" ]; then rm -f -- "$d" && printf "l%s\000" "$d"; elif [ -e "$d" ] && [ ! -d "$d" ]; then rm -f -- "$d"; fi; fi; printf "%s\000" "$d" >> "$0.${r%%/*}"; done"#

    /// `makeDirectories`' pass over the paths to remove (in `$@`): prints (NUL-terminated)
    /// those below real directories only; a path under a link is not the work directory's.
    static let stalePass =
        #"for p; do a=$p; s=1; while [ "${a%/*}" != "$a" ]; do a=${a%/*}; if [ -L "$a" ] || [ ! -d "$a" ]; then s=0; break; fi; done; if [ $s = 1 ]; then printf "%s\000" "$p"; fi; done"#
}
