import Foundation

/// Tasks waiting for their turn, per key, first come first served: `wait(for:)` suspends
/// until `resumeNext(for:)` or `resumeAll()`, and ends at once with `CancellationError` when
/// the waiting task is cancelled (a Ctrl+C must not wait for a turn). Thread-safe, so an
/// actor can keep one and still be woken from a cancellation handler.
public final class WaitQueue<Key: Hashable & Sendable>: @unchecked Sendable {
    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Void, any Error>
    }

    private let lock = NSLock()
    // Guarded by `lock`:
    private var waiting: [Key: [Waiter]] = [:]
    private var nextID: UInt64 = 0

    /// An empty queue.
    public init() {}

    /// Suspends until this waiter's turn comes.
    /// - Throws: `CancellationError` when the calling task is cancelled first.
    public func wait(for key: Key) async throws {
        let id = lock.withLock { () -> UInt64 in
            nextID += 1
            return nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                lock.lock()
                if Task.isCancelled {
                    lock.unlock()
                    continuation.resume(throwing: CancellationError())
                    return
                }
                waiting[key, default: []].append(Waiter(id: id, continuation: continuation))
                lock.unlock()
            }
        } onCancel: {
            lock.lock()
            let index = waiting[key]?.firstIndex { $0.id == id }
            let waiter = index.flatMap { waiting[key]?.remove(at: $0) }
            lock.unlock()
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Lets the longest-waiting task for `key` go on, if there is one.
    public func resumeNext(for key: Key) {
        lock.lock()
        let waiter = waiting[key]?.isEmpty == false ? waiting[key]?.removeFirst() : nil
        lock.unlock()
        waiter?.continuation.resume()
    }

    /// Lets every waiting task go on (the owner is closing).
    public func resumeAll() {
        lock.lock()
        let all = waiting.values.flatMap { $0 }
        waiting.removeAll()
        lock.unlock()
        for waiter in all { waiter.continuation.resume() }
    }
}
