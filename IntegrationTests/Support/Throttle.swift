import Foundation
import Testing

/// Lets only so many integration tests run at once. Swift Testing starts every test at
/// once, and an integration test mostly waits (for sshd, a job, a timer), so without a
/// bound a 2-core machine ran about 150 of them side by side: each sshd session, shell and
/// p process queued for the CPU, connections went unanswered for 30 s, and tests failed on
/// time rather than on behaviour. Each test case takes a place before it starts and gives
/// it back when it ends; `P_TEST_CONCURRENCY` sets how many (default: 3 per core, at
/// least 4).
struct Throttled: SuiteTrait, TestTrait, TestScoping {
    var isRecursive: Bool { true }

    /// Each test case (one per argument of a parameterized test) takes a place; the suite
    /// itself does not.
    func scopeProvider(for test: Test, testCase: Test.Case?) -> Throttled? {
        testCase == nil ? nil : self
    }

    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        await TestPlaces.shared.take()
        do {
            try await function()
        } catch {
            await TestPlaces.shared.giveBack()
            throw error
        }
        await TestPlaces.shared.giveBack()
    }
}

extension Trait where Self == Throttled {
    /// At most `P_TEST_CONCURRENCY` integration tests at once (see `Throttled`).
    static var throttled: Throttled { Throttled() }
}

/// The places, handed out first come, first served.
actor TestPlaces {
    static let shared = TestPlaces(
        count: ProcessInfo.processInfo.environment["P_TEST_CONCURRENCY"].flatMap { Int($0) }
            ?? max(4, 3 * ProcessInfo.processInfo.activeProcessorCount))

    private var free: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(count: Int) { free = max(1, count) }

    func take() async {
        if free > 0 {
            free -= 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func giveBack() {
        if waiting.isEmpty {
            free += 1
        } else {
            waiting.removeFirst().resume()
        }
    }
}
