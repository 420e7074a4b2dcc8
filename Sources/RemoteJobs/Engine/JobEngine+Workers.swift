import Foundation
import SSHTransport

extension JobEngine {
    /// Connects to a worker that is not registered yet, checks the host key (with this
    /// engine's host-key policy) and the login, and reports what it has.
    public func probe(_ worker: Worker) async throws -> WorkerProbe {
        let (text, result) = try await collectScript(RemoteScripts.probe, arguments: [], on: worker)
        guard result.status == .exited(0) else {
            throw RemoteJobsError.remoteFailure(
                worker: worker.name, action: "look around", detail: "the probe ended with \(result.status)")
        }
        return WorkerProbe.parse(text)
    }

    /// Registers a worker after probing it; the first one becomes the default.
    /// - Returns: what the worker has.
    public func register(_ worker: Worker) async throws -> WorkerProbe {
        if try workers.load().workers.contains(where: { $0.name == worker.name }) {
            throw RemoteJobsError.workerExists(name: worker.name)
        }
        guard Worker.isValidName(worker.name) else { throw RemoteJobsError.invalidWorkerName(worker.name) }
        let probe = try await probe(worker)
        try workers.update { config throws(RemoteJobsError) in try config.register(worker) }
        return probe
    }

    /// Unregisters a worker; refused while it has running jobs (checked with the worker).
    public func unregister(_ name: String) async throws {
        let config = try workers.load()
        _ = try config.worker(named: name)
        let running = await list(all: false).records.filter { $0.worker == name }
        guard running.isEmpty else { throw RemoteJobsError.workerBusy(name: name, runningJobs: running.map(\.id)) }
        try workers.update { config throws(RemoteJobsError) in try config.remove(name) }
    }

    /// Connects to every registered worker at once, on fresh sessions, and measures the
    /// connection and one command's round trip.
    public func check() async throws -> [WorkerCheck] {
        let config = try workers.load()
        let options = self.options
        return await withTaskGroup(of: (Int, WorkerCheck).self) { group in
            for (index, worker) in config.workers.enumerated() {
                group.addTask {
                    let clock = ContinuousClock()
                    let start = clock.now
                    do {
                        let target = try self.resolveTarget(worker)
                        let session = try await SSHSession.connect(to: target, options: options)
                        defer { session.close() }
                        let connected = clock.now
                        _ = try await session.run("true")
                        return (
                            index,
                            WorkerCheck(
                                worker: worker, connectTime: connected - start, roundTrip: clock.now - connected,
                                failure: nil)
                        )
                    } catch {
                        return (
                            index, WorkerCheck(worker: worker, connectTime: nil, roundTrip: nil, failure: "\(error)")
                        )
                    }
                }
            }
            var checks: [(Int, WorkerCheck)] = []
            for await entry in group { checks.append(entry) }
            return checks.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }
}
