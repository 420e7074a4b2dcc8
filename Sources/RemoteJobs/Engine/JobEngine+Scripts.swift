import Foundation
import SSHTransport

extension JobEngine {
    /// `worker` on this engine's session pool, its connection string resolved through the
    /// ssh configuration.
    func link(_ worker: Worker) throws(RemoteJobsError) -> WorkerLink {
        WorkerLink(worker: worker, target: try resolveTarget(worker), pool: pool)
    }

    func resolveTarget(_ worker: Worker) throws(RemoteJobsError) -> SSHTarget {
        do {
            guard let sshConfigFile else { return try SSHTarget.resolve(worker.connection) }
            return try SSHTarget.resolve(worker.connection, config: SSHConfig.load(path: sshConfigFile))
        } catch {
            throw .connection(worker: worker.name, jobID: nil, error)
        }
    }
}
