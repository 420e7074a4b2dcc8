import Foundation

extension WorkdirSync {
    /// Takes the persistent work directory of the job, if it has one. With `wait`, checks
    /// again every second while another job holds it, telling the observer once which job
    /// it waits for. A holder that never started and whose p is gone (`preparerIsGone`, or
    /// its claim went stale on the worker) is taken over, and the observer told.
    /// - Throws: `RemoteJobsError.workdirBusy` without `wait` while another job holds it.
    func claim(wait: Bool) async throws {
        guard let name = record.sharedWorkdir else { return }
        var announced = false
        var takeover: String?
        while true {
            let claim = try await link.ask(
                ClaimWorkdirScript(root: record.root, name: name, jobID: record.id, takeover: takeover))
            switch claim {
            case .claimed(let previous):
                if let previous { observer.note(.tookOverWorkdir(from: previous)) }
                return
            case .busy(let holder, let preparing):
                if preparing, takeover != holder, await preparerIsGone(holder) {
                    // Its p ran here and is gone: no need to wait for the claim to go stale.
                    takeover = holder
                    continue
                }
                guard wait else {
                    throw RemoteJobsError.workdirBusy(worker: worker.name, heldBy: holder, preparing: preparing)
                }
                if !announced {
                    observer.waitingForWorkdir(holder)
                    announced = true
                }
                try await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// Runs `body` while keeping the claim of the persistent work directory, or of a
    /// client key's job (`ClaimJobScript`), fresh (`HeartbeatScript` every 10 s), so that
    /// other clients see it is still being prepared.
    func keepingClaimFresh<T>(_ body: () async throws -> T) async throws -> T {
        guard record.sharedWorkdir != nil || record.clientKey != nil else { return try await body() }
        let heartbeat = HeartbeatScript(jobDirectory: record.root + "/jobs/" + record.id)
        let link = self.link
        let beat = Task {
            while true {
                try await Task.sleep(for: .seconds(10))
                _ = try? await link.run(heartbeat)
            }
        }
        defer { beat.cancel() }
        return try await body()
    }
}
