/// Checks that a Slurm cluster runs p's jobs: submits a tiny job that writes into p's root,
/// and waits (bounded) for its file to appear on the login node.
struct SlurmProbeScript: AnsweringScript {
    /// The worker's root for p's files.
    var root: String
    /// How long to wait for the probe job, in seconds.
    var waitSeconds: Int
    /// The worker's default `sbatch` options.
    var sbatchOptions: [String]

    var arguments: [String] { [root, "\(waitSeconds)"] + sbatchOptions }

    /// The outcome and the probe's Slurm job id.
    func answer(stdout: [UInt8], result: ScriptResult, worker: String) throws(RemoteJobsError) -> (
        SlurmProbe.Outcome, String
    ) {
        let line = String(decoding: stdout, as: UTF8.self).split(separator: "\n").last { $0.hasPrefix("slurm ") }
        let fields = line.map { $0.split(separator: " ", maxSplits: 3).map(String.init) } ?? []
        let word = fields.count > 1 ? fields[1] : ""
        let id = fields.count > 2 ? fields[2] : "?"
        let rest = fields.count > 3 ? fields[3] : ""
        let action = "run a probe job on the Slurm cluster"
        switch word {
        case "ran":
            return (.ran(node: rest.isEmpty ? "?" : rest), id)
        case "queued":
            return (.stillQueued(reason: SchedulerFacts.parse(rest)?.reason), id)
        case "missing":
            throw .remoteFailure(
                worker: worker, action: action,
                detail: "sbatch is not on the PATH of the worker's login shell: is it a Slurm login node?")
        case "no-root":
            throw .remoteFailure(worker: worker, action: action, detail: "cannot create p's root \(root) on it")
        case "refused":
            throw .remoteFailure(
                worker: worker, action: action,
                detail: "sbatch refused the probe job: " + fields.dropFirst(2).joined(separator: " "))
        case "not-shared":
            let state = SchedulerFacts.parse(rest).map { $0.state + ($0.reason.map { " (\($0))" } ?? "") } ?? "gone"
            throw .remoteFailure(
                worker: worker, action: action,
                detail:
                    "the probe job (Slurm job \(id), now \(state)) did not leave its file in p's root \(root) on the login node within \(waitSeconds) s. The compute nodes must see the root on a shared file system (a shared home, say): pick one with --root"
            )
        default:
            throw .remoteFailure(worker: worker, action: action, detail: result.failureDetail)
        }
    }

    /// Prints one line `slurm <outcome> <slurm id> <detail>`: `ran ID NODE` once the probe
    /// job's file (its node's host name) appeared in `R/probe`; `queued ID STATE:REASON`
    /// when it was still waiting at the end (it is cancelled); `not-shared ID STATE:REASON`
    /// when Slurm ended it (or it ran) without the file appearing (cancelled too);
    /// `refused - <sbatch's message>`; `missing` without sbatch; `no-root` when the root
    /// cannot be made. Arguments: `R wait sbatch-options...`. Leaves nothing behind.
    static let source = [
        #"R=$1; w=$2; shift 2; umask 077; J=$R"#,
        RemoteScripts.factsFunction,
        #"if command -v sbatch > /dev/null 2>&1; then :; else echo "slurm missing"; exit 0; fi"#,
        #"if mkdir -p "$R/probe" && R=$(cd "$R" && pwd); then :; else echo "slurm no-root"; exit 0; fi; f=$R/probe/$(date +%s)-$$"#,
        ##"printf "#!/bin/sh\nhostname > \"\$1.tmp\" && mv \"\$1.tmp\" \"\$1\"\n" > "$f.sh""##,
        #"if N=$(sbatch --parsable --job-name p-probe --chdir "$R/probe" --output /dev/null "$@" "$f.sh" "$f" 2> "$f.err"); then :; else printf "slurm refused - %s\n" "$(tr "\n" " " < "$f.err")"; rm -f "$f.sh" "$f.err"; exit 0; fi; N=${N%%;*}"#,
        #"n=0; while [ ! -s "$f" ] && [ $n -lt $((w*5)) ]; do sleep 0.2; n=$((n+1)); if [ $((n % 5)) = 0 ]; then sq "$N"; case $Q in PENDING* | CONFIGURING* | RUNNING* | COMPLETING*) ;; *) n=0; while [ ! -s "$f" ] && [ $n -lt 10 ]; do sleep 0.2; n=$((n+1)); done; break ;; esac; fi; done"#,
        #"if [ -s "$f" ]; then read -r h < "$f"; printf "slurm ran %s %s\n" "$N" "$h"; else sq "$N"; scancel "$N" 2>/dev/null; case $Q in PENDING* | CONFIGURING*) printf "slurm queued %s %s\n" "$N" "$Q" ;; *) printf "slurm not-shared %s %s\n" "$N" "$Q" ;; esac; fi; rm -f "$f" "$f.sh" "$f.err" "$f.tmp"; rmdir "$R/probe" 2>/dev/null; :"#,
    ].joined(separator: "; ")
}
