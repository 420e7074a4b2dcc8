import Foundation

/// When a job runs again (`--retry N --retry-on ...`): how many more times at most, and on
/// which ends. A failure on the worker (an exit code) is retried by the job's wrapper there,
/// with no client; a lost job (`lost`) by the client that sees it lost.
public struct RetryPolicy: Sendable, Equatable, Codable {
    /// How many more attempts at most (1 to 100).
    public var count: Int
    /// Retry when the job is lost: its worker rebooted, its process vanished without an exit
    /// code, its files are gone.
    public var onLost: Bool
    /// Retry on any non-zero exit code.
    public var onAnyFailure: Bool
    /// Retry on these exit codes (when not on any failure).
    public var onCodes: [Int32]
    /// With `onLost`: how long a worker may stay out of reach (seconds) before a waiting
    /// client counts its jobs lost and starts them again; nil: never (only a job the worker
    /// itself says is gone counts). A job of a worker that was only cut off may then run
    /// twice, once where it was and once where it was started again.
    public var lostAfter: Int?

    enum CodingKeys: String, CodingKey {
        case count
        case onLost = "on_lost"
        case onAnyFailure = "on_any_failure"
        case onCodes = "on_codes"
        case lostAfter = "lost_after_s"
    }

    /// A policy.
    public init(
        count: Int, onLost: Bool = true, onAnyFailure: Bool = false, onCodes: [Int32] = [], lostAfter: Int? = nil
    ) {
        self.lostAfter = lostAfter
        self.count = count
        self.onLost = onLost
        self.onAnyFailure = onAnyFailure
        self.onCodes = onCodes
    }

    /// A policy from `--retry N` and `--retry-on` (`lost`, `failed`, exit codes, comma-separated
    /// and combined: `lost,137`); `lost` when no `--retry-on` is given.
    /// - Throws: `RemoteJobsError.invalidArgument` saying what is wrong.
    public static func parse(count: Int, on text: String?) throws(RemoteJobsError) -> RetryPolicy {
        guard (1...100).contains(count) else {
            throw .invalidArgument("--retry takes 1 to 100 retries, not \(count).")
        }
        var policy = RetryPolicy(count: count, onLost: text == nil)
        for item in (text ?? "").split(separator: ",", omittingEmptySubsequences: false) where text != nil {
            let word = item.trimmingCharacters(in: .whitespaces)
            switch word {
            case "lost": policy.onLost = true
            case "failed": policy.onAnyFailure = true
            default:
                guard let code = Int32(word), (1...255).contains(code) else {
                    throw .invalidArgument(
                        "--retry-on takes lost, failed and exit codes (1-255), comma-separated, not '\(word)'.")
                }
                if !policy.onCodes.contains(code) { policy.onCodes.append(code) }
            }
        }
        return policy
    }

    /// What the job's wrapper retries, as `J/retry` holds it (`MAX failed`, `MAX 1,137`);
    /// nil when it retries no exit code.
    var workerLine: String? {
        if onAnyFailure { return "\(count) failed" }
        guard !onCodes.isEmpty else { return nil }
        return "\(count) " + onCodes.map(String.init).joined(separator: ",")
    }

    /// `--retry-on` as written back (`lost,failed`, `137`).
    public var description: String {
        ((onLost ? ["lost"] : []) + (onAnyFailure ? ["failed"] : []) + onCodes.map(String.init)).joined(separator: ",")
    }
}

/// One ended attempt of a job that was retried: its times, its exit code and where its
/// output begins in the job's log. An attempt that was a job of its own (one found lost and
/// started again, or an array's failed element run again with `--retry-failed`) names that
/// job and its worker instead, whose record and log tell the rest.
public struct JobAttempt: Sendable, Equatable, Codable {
    /// 1 for the first.
    public var number: Int
    /// When it started.
    public var startedAt: Date
    /// When it ended (for a lost attempt: when it was found lost).
    public var endedAt: Date
    /// Its exit code (0 for a lost attempt, which has none).
    public var exitCode: Int32
    /// The byte of the job's log where its output begins (0 in another job's log).
    public var logOffset: UInt64
    /// The job the attempt was, when not this one.
    public var job: String? = nil
    /// That job's worker.
    public var worker: String? = nil
    /// Whether that job was lost (no exit code: `exitCode` means nothing then).
    public var lost: Bool? = nil

    enum CodingKeys: String, CodingKey {
        case number
        case startedAt = "started_at"
        case endedAt = "ended_at"
        case exitCode = "exit_code"
        case logOffset = "log_offset"
        case job = "job_id"
        case worker, lost
    }

    /// The attempts in `J/attempts` (`N:STARTED:ENDED:CODE:OFFSET,...`); entries that do
    /// not read are left out.
    static func parse(_ text: String) -> [JobAttempt] {
        text.split(separator: ",").compactMap { entry in
            let fields = entry.split(separator: ":").map(String.init)
            guard fields.count == 5, let number = Int(fields[0]), let started = Double(fields[1]),
                let ended = Double(fields[2]), let code = Int32(fields[3]), let offset = UInt64(fields[4])
            else { return nil }
            return JobAttempt(
                number: number, startedAt: Date(timeIntervalSince1970: started),
                endedAt: Date(timeIntervalSince1970: ended), exitCode: code, logOffset: offset)
        }
    }
}
