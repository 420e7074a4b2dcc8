import Dispatch
import Foundation

/// Runs work that Ctrl+C should cancel rather than kill: while it runs, SIGINT cancels its
/// task (so streaming code can detach cleanly and say how to resume); afterwards SIGINT
/// behaves as usual again.
enum InterruptWatcher {
    static func run<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let task = Task { try await body() }
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler { task.cancel() }
        source.resume()
        defer {
            source.cancel()
            signal(SIGINT, SIG_DFL)
        }
        return try await task.value
    }
}
