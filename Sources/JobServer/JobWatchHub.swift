import Foundation
import RemoteJobs

/// The server's one status watch (`JobStatusWatch`), shared by everything that follows
/// jobs: subscriptions, tasks and log messages. One watch asks each worker about all the
/// followed jobs in one exchange every 250 ms; separate watches would each ask about the
/// same jobs. A job is watched while anything follows it.
actor JobWatchHub {
    /// Why a job is followed.
    enum Interest: Hashable, Sendable {
        case subscription
        case task
        case log
    }

    private let watch: JobStatusWatch
    private var interests: [String: Set<Interest>] = [:]

    init(engine: JobEngine) {
        watch = JobStatusWatch(engine: engine)
    }

    /// Follows the job `idPrefix` names for `interest`.
    /// - Returns: its record as it stands now (a job that had ended reports no change).
    @discardableResult
    func follow(_ idPrefix: String, for interest: Interest) async throws -> JobRecord {
        let record = try await watch.watch(idPrefix)
        interests[record.id, default: []].insert(interest)
        return record
    }

    /// Stops following job `id` for `interest`; the watch drops it once nothing follows it.
    func release(_ id: String, for interest: Interest) async {
        interests[id]?.remove(interest)
        if interests[id]?.isEmpty == true {
            interests[id] = nil
            await watch.unwatch(id)
        }
    }

    /// Hands each change of a followed job to `deliver`, with what follows it, until
    /// cancelled.
    func run(deliver: @escaping @Sendable (JobRecord, Set<Interest>) async -> Void) async {
        for await record in watch.changes() {
            if let following = interests[record.id] { await deliver(record, following) }
        }
    }
}
