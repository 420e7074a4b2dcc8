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

    private let engine: JobEngine
    private let watch: JobStatusWatch
    private var interests: [String: Set<Interest>] = [:]

    init(engine: JobEngine) {
        self.engine = engine
        watch = JobStatusWatch(engine: engine)
    }

    /// Follows the job `idPrefix` names for `interest`.
    ///
    /// The interest is recorded before anything is asked (only the id is read, from this
    /// machine's record), so no change the watch reports afterwards can miss it, even one it
    /// reports while this call waits for the worker; a change may then reach the caller both
    /// in the record returned and through `run`, so what follows jobs takes an end once.
    /// A job the watch already follows is not asked about again: its last-seen record is as
    /// new as the watch's last look, and every later change comes through `run`.
    /// - Returns: its record as it stands now (a job that had ended reports no change).
    @discardableResult
    func follow(_ idPrefix: String, for interest: Interest) async throws -> JobRecord {
        let id = try await engine.loadRecord(idPrefix).id
        interests[id, default: []].insert(interest)
        if let seen = await watch.lastSeen(id) { return seen }
        do {
            return try await watch.watch(id)
        } catch {
            await release(id, for: interest)
            throw error
        }
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
