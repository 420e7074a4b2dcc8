/// Removes the files of jobs on one worker, keeping those whose wrapper still runs.
struct RemoveScript: AnsweringScript {
    /// The worker's root for p's files.
    var root: String
    /// The jobs, each with its process as recorded at launch (`JobRecord.workerProcess`), if
    /// it was.
    var jobs: [(id: String, process: String?)]
    /// End a wrapper that still runs (its `--on-end` command, say) instead of keeping the job.
    var force = false

    init(root: String, jobs: [(id: String, process: String?)], force: Bool = false) {
        self.root = root
        self.jobs = jobs
        self.force = force
    }

    /// The files of records: each with the process its record names.
    init(root: String, records: [JobRecord], force: Bool = false) {
        self.init(root: root, jobs: records.map { ($0.id, $0.workerProcess) }, force: force)
    }

    var arguments: [String] { [root, force ? "1" : "0"] + jobs.map { $0.id + ($0.process.map { ":\($0)" } ?? "") } }

    /// Why a job's files were kept.
    enum Kept: Equatable {
        /// Its wrapper still runs (its `--on-end` command).
        case running
        /// A job waiting in the worker's queue runs after it (`--after`), and needs its
        /// exit code: the waiting job's id.
        case needed(by: String)
    }

    /// The jobs kept, by id, and why.
    func answer(stdout: [UInt8], result: ScriptResult, worker: String) throws(RemoteJobsError) -> [String: Kept] {
        let lines = String(decoding: stdout, as: UTF8.self).split(separator: "\n")
        guard lines.last == "removed" else {
            throw .remoteFailure(worker: worker, action: "remove the jobs' files", detail: result.failureDetail)
        }
        var kept: [String: Kept] = [:]
        for line in lines where line.hasPrefix("kept ") {
            let words = line.split(separator: " ").map(String.init)
            guard words.count >= 3 else { continue }
            kept[words[1]] = words[2] == "needed" && words.count == 4 ? .needed(by: words[3]) : .running
        }
        return kept
    }

    /// Removes the files of jobs: arguments `R force id[:process]...`, each job with the
    /// process recorded at launch where there is one (a job the worker's queue started has
    /// only its validated `pid` file). A job whose wrapper still runs is kept (`kept ID`),
    /// whatever its record says: its `--on-end` command runs in its work directory after
    /// the exit code is written, and a record may be stale. With `force` 1 the wrapper's
    /// process group is killed first (a Slurm job cancelled). Where `/proc` tells, a
    /// process counts as the wrapper only while its command line names the job's `run`
    /// file, so a pid the system gave to another process since is neither waited for nor
    /// killed. Write permission is restored before removing, since build tools leave
    /// read-only trees (Go's module cache) that `rm -rf` refuses. A job that a job waiting
    /// in the queue runs after (its `after` names it) is kept too (`kept ID needed WAITER`):
    /// the queue decides by its exit code. A removed job of a client key that started
    /// leaves its request in `R/keys/ID` for 30 days, so the key is not run again there
    /// (`ClaimJobScript`). Prints `removed` last.
    static let source = [
        #"R=$1; F=$2; shift 2"#,
        RemoteScripts.factsFunction,
        #"ours() { [ -r "/proc/$p/cmdline" ] || return 0; case $(tr "\000" " " < "/proc/$p/cmdline" 2>/dev/null) in *"/jobs/$i/run "*) return 0 ;; esac; return 1; }"#,
        #"needed() { for q in "$R"/jobs/*/queued; do [ -f "$q" ] || continue; d=${q%/queued}; M=; L=; { read -r M L < "$d/after"; } 2>/dev/null; case ,$L, in *,"$1",*) echo "${d##*/}"; return 0 ;; esac; done; return 1; }"#,
        #"for a in "$@"; do i=${a%%:*}; P=; case $a in *:*) P=${a#*:} ;; esac; J=$R/jobs/$i; p=$P; if [ -z "$p" ] && [ -f "$J/start" ] && [ -f "$J/pid" ]; then read -r p < "$J/pid"; fi; if [ -n "$p" ] && up && ours; then if [ "$F" != 1 ]; then echo "kept $i running"; continue; fi; case $p in slurm:*) scancel "${p#slurm:}" 2>/dev/null ;; *) kill -KILL -$p 2>/dev/null; n=0; while kill -0 -$p 2>/dev/null && [ $n -lt 40 ]; do sleep 0.05; n=$((n+1)); done ;; esac; fi; if [ "$F" != 1 ] && w=$(needed "$i"); then echo "kept $i needed $w"; continue; fi; if [ -f "$J/request" ] && [ -e "$J/cmd" ]; then mkdir -p "$R/keys" && cp "$J/request" "$R/keys/$i"; fi; chmod -R u+w "$R/workdirs/$i" 2>/dev/null; rm -rf "$J" "$R/workdirs/$i"; done; find "$R/keys" -type f -mtime +30 -exec rm -f {} + 2>/dev/null; echo removed"#,
    ].joined(separator: "; ")
}
