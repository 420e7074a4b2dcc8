import Foundation

extension JobEngine {
    /// Waits until every job in `records` (an array's elements, say) has ended, asking each
    /// worker about its jobs in one exec every `interval` (which also moves its queue), not
    /// one exec per job; `onEnd` is called as each ends. A job whose end is unknown is asked
    /// about once more, as `wait(_:)` does. A lost job with retries left for it
    /// (`RetryPolicy.onLost`) is started again (`relaunch`) and the wait follows the new job
    /// in its place; a worker out of reach ends the wait (its jobs run on), unless every job
    /// of it may be counted lost after a while (`lostAfter`), until then.
    /// - Returns: the records, ended, in the order given (a relaunched job's in its place).
    public func waitForAll(
        _ records: [JobRecord], interval: Duration = .milliseconds(500),
        onEnd: @escaping @Sendable (JobRecord) -> Void = { _ in }
    ) async throws -> [JobRecord] {
        // Each job of `records` by its id, and the id of the job that stands for it now.
        var current = Dictionary(records.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var standsFor = Dictionary(records.map { ($0.id, $0.id) }, uniquingKeysWith: { first, _ in first })
        var pending = records.filter(\.status.mayChange)
        for record in records where !record.status.mayChange { onEnd(record) }
        var firstLook = true
        var outOfReach: [String: Date] = [:]
        while !pending.isEmpty {
            var settled: [JobRecord] = []
            for record in pending { settled.append(try await waitForPreparation(record)) }
            let (updated, unreachable) = await reconcileRunning(settled.filter(\.status.isOnWorker))
            let now = Date()
            for worker in unreachable.keys where outOfReach[worker] == nil { outOfReach[worker] = now }
            for worker in outOfReach.keys where unreachable[worker] == nil { outOfReach[worker] = nil }
            var still: [JobRecord] = []
            for record in updated + settled.filter({ !$0.status.isOnWorker }) {
                let original = standsFor[record.id] ?? record.id
                if Self.shouldRelaunch(record, outOfReachSince: outOfReach[record.worker], now: now) {
                    let replacement = try await relaunch(record, now: now)
                    standsFor[replacement.id] = original
                    current[original] = replacement
                    still.append(replacement)
                    continue
                }
                current[original] = record
                // Unknown after a first look: as good as ended (an unreachable worker keeps
                // its jobs running, not unknown).
                if record.status.isActive || (firstLook && record.status.mayChange) {
                    still.append(record)
                } else {
                    onEnd(record)
                }
            }
            // As `wait(_:)`: a worker out of reach ends the wait (its jobs run on), unless
            // each of its jobs still waiting may be counted lost after a while.
            for (worker, failure) in unreachable.sorted(by: { $0.key < $1.key }) {
                let waiting = still.filter { $0.worker == worker && $0.status.isRunning }
                if waiting.contains(where: { !($0.retry?.onLost ?? false) || $0.retry?.lostAfter == nil }) {
                    throw failure
                }
            }
            firstLook = false
            pending = still
            if pending.contains(where: \.status.isActive) { try await Task.sleep(for: interval) }
        }
        return records.compactMap { current[$0.id] }
    }
}
