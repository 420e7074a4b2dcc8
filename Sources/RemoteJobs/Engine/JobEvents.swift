import Foundation

/// A job's events as an async sequence (`JobEngine.events(of:)`): output chunks, then
/// `.ended`. Nothing is dropped, and memory stays bounded: the follower hands over one event
/// at a time and waits until it is taken, so a slow consumer slows the reading from the
/// worker (the SSH channel's window then holds the server back). Following starts with the
/// first `next()` and stops when the iterator is dropped or its task cancelled; the job runs
/// on.
public struct JobEvents: AsyncSequence, Sendable {
    /// An event.
    public typealias Element = JobEvent

    let follow: @Sendable (EventHandoff) async throws -> JobRecord

    /// The iterator: one per iteration, following the job on a task of its own.
    public final class AsyncIterator: AsyncIteratorProtocol {
        private let handoff = EventHandoff()
        private let follow: @Sendable (EventHandoff) async throws -> JobRecord
        private var producer: Task<Void, Never>?

        init(follow: @escaping @Sendable (EventHandoff) async throws -> JobRecord) {
            self.follow = follow
        }

        /// The next event, or nil after `.ended`.
        /// - Throws: what following the job threw (a connection error naming the job).
        public func next() async throws -> JobEvent? {
            if producer == nil {
                let handoff = self.handoff
                let follow = self.follow
                producer = Task {
                    do {
                        let record = try await follow(handoff)
                        await handoff.send(.ended(record))
                        handoff.finish(throwing: nil)
                    } catch {
                        handoff.finish(throwing: error)
                    }
                }
            }
            return try await withTaskCancellationHandler {
                try await handoff.receive()
            } onCancel: { [producer] in
                producer?.cancel()
            }
        }

        deinit {
            producer?.cancel()
            handoff.finish(throwing: CancellationError())
        }
    }

    /// An iterator that starts following on its first `next()`.
    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(follow: follow) }
}

/// A rendezvous between the tasks following a job (one per log it follows) and the task
/// iterating its events: `send` returns once the consumer has the event (at once when the
/// consumer is already waiting), so at most one event per producer is buffered. Events of
/// several producers are handed over in the order they were sent.
final class EventHandoff: @unchecked Sendable {
    // Everything below is guarded by `lock`.
    private let lock = NSLock()
    private var pending: [(event: JobEvent, producer: CheckedContinuation<Void, Never>)] = []
    private var consumerWaiting: CheckedContinuation<JobEvent?, any Error>?
    private var end: Result<Void, any Error>?

    /// Hands `event` to the consumer, waiting until it is taken (or the consumer is gone).
    func send(_ event: JobEvent) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            lock.lock()
            if end != nil {
                lock.unlock()
                continuation.resume()
            } else if pending.isEmpty, let consumer = consumerWaiting {
                consumerWaiting = nil
                lock.unlock()
                consumer.resume(returning: event)
                continuation.resume()
            } else {
                pending.append((event, continuation))
                lock.unlock()
            }
        }
    }

    /// No more events: the consumer gets nil (or `error`) once it has taken the pending ones
    /// (an error drops them and lets their producers go).
    func finish(throwing error: (any Error)?) {
        lock.lock()
        guard end == nil else { return lock.unlock() }
        end = error.map { .failure($0) } ?? .success(())
        let consumer = pending.isEmpty ? consumerWaiting : nil
        if consumer != nil { consumerWaiting = nil }
        var producers: [CheckedContinuation<Void, Never>] = []
        if error != nil {
            producers = pending.map(\.producer)
            pending = []
        }
        let ending = end
        lock.unlock()
        for producer in producers { producer.resume() }
        if let consumer, let ending {
            switch ending {
            case .success: consumer.resume(returning: nil)
            case .failure(let error): consumer.resume(throwing: error)
            }
        }
    }

    /// The next event: the oldest pending one, or the next one sent; nil (or the error) at
    /// the end.
    func receive() async throws -> JobEvent? {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<JobEvent?, any Error>) in
            lock.lock()
            if !pending.isEmpty {
                let (event, producer) = pending.removeFirst()
                lock.unlock()
                producer.resume()
                continuation.resume(returning: event)
            } else if let end {
                lock.unlock()
                switch end {
                case .success: continuation.resume(returning: nil)
                case .failure(let error): continuation.resume(throwing: error)
                }
            } else {
                consumerWaiting = continuation
                lock.unlock()
            }
        }
    }
}
