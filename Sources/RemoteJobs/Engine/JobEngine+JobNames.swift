import Foundation
import SSHTransport

extension JobEngine {
    /// The elements of the array whose id starts with `prefix`, by index; empty when no
    /// array's id does. An element run again (lost, or `--retry-failed`) is the job that
    /// replaced it, unless `includingReplaced` (what `p rm` removes: the earlier ones too).
    /// - Throws: `RemoteJobsError.ambiguousJob` when two arrays' ids start with it.
    public func arrayElements(_ prefix: String, includingReplaced: Bool = false) async throws -> [JobRecord] {
        let store = records
        return try await BlockingWork.run { try store.arrayElements(prefix, includingReplaced: includingReplaced) }
    }

    /// The jobs a reference names, as `p wait`, `p stop`, `p rm`, `p logs` take them: a job
    /// id (or a unique prefix), an array's id (all its elements, by index), or `ARRAY:INDEX`
    /// (that element). `includingReplaced`: as `arrayElements`.
    /// - Throws: `RemoteJobsError.unknownJob` when it names nothing; `.ambiguousJob`.
    public func jobs(named reference: String, includingReplaced: Bool = false) async throws -> [JobRecord] {
        do {
            return [try await loadRecord(reference)]
        } catch RemoteJobsError.unknownJob where !reference.contains(":") {
            let elements = try await arrayElements(reference, includingReplaced: includingReplaced)
            guard !elements.isEmpty else { throw RemoteJobsError.unknownJob(prefix: reference) }
            return elements
        }
    }
}
