import Foundation

/// Takes a persistent work directory (`--reuse-workdir`) for a job.
struct ClaimWorkdirScript: AnsweringScript {
    /// How the claim went.
    enum Claim: Equatable {
        /// The directory is this job's; `tookOverFrom` names a holder that never started.
        case claimed(tookOverFrom: String?)
        /// Another job holds it: running, or still being prepared by a live p.
        case busy(holder: String, preparing: Bool)
    }

    /// The worker's root for p's files.
    var root: String
    /// The persistent work directory's name under `R/workdirs`.
    var name: String
    /// The job claiming it.
    var jobID: String
    /// A holder the caller knows to be dead already (its p ran here and is gone).
    var takeover: String?

    var arguments: [String] { [root, name, jobID, takeover ?? ""] }

    func answer(stdout: [UInt8], result: ScriptResult, worker: String) throws(RemoteJobsError) -> Claim {
        let words = String(decoding: stdout, as: UTF8.self).split(whereSeparator: \.isWhitespace).map(String.init)
        if words.first == "claimed" { return .claimed(tookOverFrom: words.count > 1 ? words[1] : nil) }
        guard words.count == 3, words[0] == "busy" else {
            throw .remoteFailure(
                worker: worker, action: "take the persistent work directory", detail: result.failureDetail)
        }
        return .busy(holder: words[1], preparing: words[2] == "preparing")
    }

    /// Takes the persistent work directory `R/workdirs/NAME` for job `ID` (`--reuse-workdir`):
    /// a symbolic link `NAME.lock` names the job holding it. A job that started holds it
    /// until its `exitcode` exists or its process is gone. A job still being prepared (no
    /// pid yet) holds it while its p keeps `jobs/ID/preparing` fresh (the worker's time,
    /// rewritten every 10 s; stale after 30 s), so a p killed in the middle of a sync does
    /// not strand it; `takeover` names a holder the caller knows to be dead already. Prints
    /// `claimed` (with the id of a holder that never started, when it was taken over from
    /// one), or `busy <id> running|preparing`. The check and the claim run under a `mkdir`
    /// mutex, so two clients cannot both claim it. Arguments: `R NAME ID [takeover]`.
    static let source = [
        #"umask 077; mkdir -p "$1/workdirs" "$1/jobs/$3" && cd "$1" || exit 1; chmod 700 . jobs workdirs 2>/dev/null"#,
        RemoteScripts.factsFunction,
        #"fresh() { t=; read -r t < "$1" 2>/dev/null; case $t in "" | *[!0-9]*) return 1 ;; esac; [ $(($(date +%s) - t)) -lt 30 ]; }"#,
        #"L=workdirs/$2.lock; n=0; until mkdir "$L.m" 2>/dev/null || [ $n -ge 100 ]; do sleep 0.05; n=$((n+1)); done"#,
        #"h=$(readlink "$L" 2>/dev/null); b=0; w=; g="#,
        #"if [ -n "$h" ] && [ "$h" != "$3" ] && [ -d "jobs/$h" ] && [ ! -f "jobs/$h/exitcode" ]; then p=; read -r p < "jobs/$h/pid" 2>/dev/null; if [ -n "$p" ]; then if up; then b=1; w=running; fi; elif [ "$h" != "$4" ] && fresh "jobs/$h/preparing"; then b=1; w=preparing; else g=$h; fi; fi"#,
        #"if [ $b = 1 ]; then rmdir "$L.m"; echo "busy $h $w"; exit 0; fi"#,
        #"rm -f "$L"; ln -s "$3" "$L"; date +%s > "jobs/$3/preparing"; rmdir "$L.m"; echo "claimed $g""#,
    ].joined(separator: "; ")
}
