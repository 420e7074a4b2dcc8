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

    var arguments: KeyValuePairs<String, String> {
        ["root": root, "name": name, "id": jobID, "takeover": takeover ?? ""]
    }

    func answer(stdout: [UInt8], result: ScriptResult, worker: String) throws(RemoteJobsError) -> Claim {
        let words = String(decoding: stdout, as: UTF8.self).split(whereSeparator: \.isWhitespace).map(String.init)
        if words.first == "claimed" { return .claimed(tookOverFrom: words.count > 1 ? words[1] : nil) }
        guard words.count == 3, words[0] == "busy" else {
            throw .remoteFailure(
                worker: worker, action: "take the persistent work directory", detail: result.failureDetail)
        }
        return .busy(holder: words[1], preparing: words[2] == "preparing")
    }

    /// `Worker/claim-workdir.sh`.
    static let file = "claim-workdir.sh"
    static let source = WorkerShell.program(file)
}
