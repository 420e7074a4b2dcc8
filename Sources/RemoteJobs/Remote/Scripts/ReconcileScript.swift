/// Asks a worker about several jobs at once: its boot id and each job's facts.
struct ReconcileScript: AnsweringScript {
    /// The worker's root for p's files.
    var root: String
    /// The jobs, each with its process as recorded at launch (`JobRecord.workerProcess`), if
    /// it was.
    var jobs: [(id: String, process: String?)]

    var arguments: [String] { [root] + jobs.map { $0.id + ($0.process.map { ":\($0)" } ?? "") } }

    func answer(stdout: [UInt8], result: ScriptResult, worker: String) throws(RemoteJobsError) -> WorkerFacts {
        guard let facts = Self.parse(String(decoding: stdout, as: UTF8.self)) else {
            throw .remoteFailure(
                worker: worker, action: "check the running jobs", detail: "the worker's answer could not be read")
        }
        return facts
    }

    /// The answer: `boot <id>`, then `job <id> <facts>` or `job <id> missing` lines; nil
    /// without a `boot` line (the script did not run).
    static func parse(_ text: String) -> WorkerFacts? {
        var bootID: String?
        var sawBoot = false
        var jobs: [String: JobFacts] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ").map(String.init)
            if fields.count == 2, fields[0] == "boot" {
                sawBoot = true
                bootID = fields[1] == "-" || fields[1].count > 64 ? nil : fields[1]
            } else if fields.count == 3, fields[0] == "job", fields[2] == "missing" {
                jobs[fields[1]] = JobFacts(exists: false)
            } else if fields.count == 9, fields[0] == "job" {
                jobs[fields[1]] = ControlLines.parseFacts(Array(fields[2...]))
            }
        }
        return sawBoot ? WorkerFacts(bootID: bootID, jobs: jobs) : nil
    }

    /// One line per job for reconciliation: `boot <id>`, then `job <id> <facts>` or
    /// `job <id> missing`. Arguments: `R id[:process]...`, with the pid (or `slurm:<id>`)
    /// recorded at launch where there is one (else the validated `pid` file says which
    /// process is the job's). Slurm is asked about all the Slurm jobs in one `squeue` (its
    /// answers kept in `S_<id>` for `sq`), so a cluster's jobs cost one request to the
    /// controller, not one each; the line's fields are split at `\037`, never evaluated.
    /// `facts` runs in the script's own shell, not in a `$(...)`: one fork less per job,
    /// which is most of a worker's answer when it runs many jobs; the boot id is read by the
    /// shell too.
    static let source = [
        #"R=$1; shift"#, WorkerQueue.kickIfQueued,
        RemoteScripts.factsFunction,
        #"l=; for a in "$@"; do case $a in *:slurm:*) n=${a##*:}; case $n in "" | *[!0-9_]*) ;; *) l=$l,$n ;; esac ;; esac; done"#,
        #"if [ -n "$l" ]; then U=$(printf "\037"); set -f; for w in $(squeue -h -t all -j "${l#,}" -o "%i %T:%r" 2>/dev/null | tr " \n" "\037 "); do n=${w%%"$U"*}; case $n in "" | *[!0-9_]*) continue ;; esac; v=${w#*"$U"}; eval "S_$n=\$v"; done; set +f; fi"#,
        #"b=; read -r b < /proc/sys/kernel/random/boot_id 2>/dev/null; printf "boot %s\n" "${b:--}""#,
        #"for a in "$@"; do i=${a%%:*}; P=; case $a in *:*) P=${a#*:} ;; esac; J=$R/jobs/$i; if [ -d "$J" ]; then printf "job %s " "$i"; facts; printf "\n"; else printf "job %s missing\n" "$i"; fi; done"#,
    ].joined(separator: "; ")
}
