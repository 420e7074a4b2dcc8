import Dispatch
import Foundation

/// Runs blocking work (reading local files, fsync, walking a directory, writing to a
/// terminal or pipe that may be paused) on threads of its own, never on Swift's cooperative
/// pool, whose few threads (two on a two-core machine) every task shares: a blocked pool
/// thread stalls unrelated work, as the I/O loop's own thread keeps libssh2 off it.
public enum BlockingWork {
    private static let queue = DispatchQueue(label: "p.blocking-work", qos: .userInitiated, attributes: .concurrent)

    /// The result of `body`, run on a thread outside the cooperative pool.
    /// - Throws: what `body` throws.
    public static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body() }) }
        }
    }

    /// The result of `body`, run on a thread outside the cooperative pool; nil at once when
    /// the calling task is cancelled first (`body` then runs on to its end, and its result
    /// is dropped): for work that may block for good, such as a write to a pipe nobody
    /// reads, which must not keep a cancelled task waiting.
    public static func runUnlessCancelled<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T? {
        let slot = Slot<T>()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<T?, Never>) in
                slot.set(continuation)
                queue.async { slot.resume(body()) }
            }
        } onCancel: {
            slot.resume(nil)
        }
    }

    /// The result of `body`, run on a thread outside the cooperative pool.
    public static func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: body()) }
        }
    }
}

/// A continuation resumed once, by whichever comes first: the work or the cancellation
/// (which may come before the continuation exists).
private final class Slot<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    // Guarded by `lock`:
    private var continuation: CheckedContinuation<T?, Never>?
    private var early: T??
    private var done = false

    func set(_ continuation: CheckedContinuation<T?, Never>) {
        lock.lock()
        if let early {
            done = true
            lock.unlock()
            continuation.resume(returning: early)
            return
        }
        self.continuation = continuation
        lock.unlock()
    }

    func resume(_ value: T?) {
        lock.lock()
        guard !done else { return lock.unlock() }
        guard let continuation else {
            if early == nil { early = .some(value) }
            return lock.unlock()
        }
        done = true
        self.continuation = nil
        lock.unlock()
        continuation.resume(returning: value)
    }
}
