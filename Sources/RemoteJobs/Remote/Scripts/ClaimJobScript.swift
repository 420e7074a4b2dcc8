/// What `ClaimJobScript` found.
enum JobClaim: Equatable {
    /// The job's directory is this submit's now.
    case claimed
    /// Another submit with the same key claimed it first, asking for `request` (nil when
    /// its file cannot be read), and has `started` the job (its `pid` file naming `pid`,
    /// where it does) or is still preparing it.
    case taken(request: KeyedRequest?, started: Bool, pid: Int? = nil)
    /// A job of this key ran here and was removed since (its request kept in `R/keys`).
    case removed(request: KeyedRequest?)
}

/// Claims a job's directory on the worker for a submit with a client key, before anything
/// else of the job is written there: `mkdir`, which only one process can win, however many
/// servers (on one machine or several) submit the same key at once.
struct ClaimJobScript: AnsweringScript {
    /// The worker's root for p's files.
    var root: String
    var jobID: String
    var request: KeyedRequest

    var arguments: [String] { [root, jobID, request.line] }

    func answer(stdout: [UInt8], result: ScriptResult, worker: String) throws(RemoteJobsError) -> JobClaim {
        let text = String(decoding: stdout, as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        switch lines.first {
        case "claimed": return .claimed
        case "removed": return .removed(request: lines.count > 1 ? KeyedRequest.parse(lines[1]) : nil)
        case "started", "preparing":
            let request = lines.count > 1 ? KeyedRequest.parse(lines[1]) : nil
            let pid = lines.count > 2 ? WorkerValues.pid(lines[2]) : nil
            return .taken(request: request, started: lines[0] == "started", pid: pid)
        default:
            throw .remoteFailure(
                worker: worker, action: "claim job \(jobID.prefix(8))", detail: result.failureDetail)
        }
    }

    /// Prints `removed` and the request when a job of this key ran here and was removed
    /// (`R/keys/ID`, see `RemoveScript`). Else makes `R/jobs/ID` (0700) and writes the request into it, printing `claimed`; where it
    /// exists, prints `started` (its `cmd` is there) or `preparing`, then the request it was
    /// claimed with (and for a started job, its `pid` file, waited for up to 10 s
    /// unless the job is queued: the launcher's pid stays on the machine that launched it). A claim whose job never started and whose `preparing` file went stale
    /// (its p stopped refreshing it 30 s ago: killed in the middle of a sync) is taken over
    /// (its directories removed and claimed again). Should two takers meet there, only one
    /// can create `cmd` at launch (`LaunchScript`), so the job still starts once.
    /// Arguments: `R ID request`.
    static let source = [
        #"umask 077; mkdir -p "$1/jobs" && chmod 700 "$1" "$1/jobs" 2>/dev/null; J=$1/jobs/$2"#,
        #"fresh() { t=; { read -r t < "$1"; } 2>/dev/null; case $t in "" | *[!0-9]*) return 1 ;; esac; [ $(($(date +%s) - t)) -lt 30 ]; }"#,
        #"claim() { if mkdir "$J" 2>/dev/null; then printf "%s\n" "$3" > "$J/request" && date +%s > "$J/preparing" && echo claimed && exit 0; rm -rf "$J"; echo "p: cannot write into $J" >&2; exit 1; fi; }"#,
        #"if [ -f "$1/keys/$2" ]; then f=; { read -r f < "$1/keys/$2"; } 2>/dev/null; printf "removed\n%s\n" "$f"; exit 0; fi"#,
        #"claim "$@"; f=; { read -r f < "$J/request"; } 2>/dev/null; if [ -e "$J/cmd" ]; then n=0; while [ ! -s "$J/pid" ] && [ ! -f "$J/exitcode" ] && [ ! -f "$J/queued" ] && [ -d "$J" ] && [ $n -lt 200 ]; do sleep 0.05; n=$((n+1)); done; k=; { read -r k < "$J/pid"; } 2>/dev/null; printf "started\n%s\n%s\n" "$f" "$k"; exit 0; fi"#,
        #"if fresh "$J/preparing" || { [ ! -f "$J/preparing" ] && [ -z "$(find "$J" -prune -mmin +1 2>/dev/null)" ]; }; then printf "preparing\n%s\n" "$f"; exit 0; fi; chmod -R u+w "$1/workdirs/$2" 2>/dev/null; rm -rf "$J" "$1/workdirs/$2"; claim "$@"; printf "preparing\n%s\n" "$f""#,
    ].joined(separator: "; ")
}
