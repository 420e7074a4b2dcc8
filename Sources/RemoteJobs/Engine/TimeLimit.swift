/// The result of `operation`, or nil when `limit` passed first; the operation is then
/// cancelled (and awaited). With no limit, the operation's result. The one race between
/// work and a clock p has: `wait --timeout`, `exec`'s time limit and a bounded run.
/// - Throws: what `operation` throws.
public func withTimeLimit<T: Sendable>(
    _ limit: Duration?, _ operation: @escaping @Sendable () async throws -> T
) async throws -> T? {
    guard let limit else { return try await operation() }
    return try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        let first = try await group.next() ?? nil
        group.cancelAll()
        return first
    }
}
