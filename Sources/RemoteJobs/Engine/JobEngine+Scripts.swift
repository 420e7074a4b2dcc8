import Foundation
import SSHTransport

extension JobEngine {
    /// `worker` as the engine reaches it: through the keeper when the engine has one, else
    /// on this engine's session pool, its connection
    /// string resolved through the ssh configuration (`config` when the caller read it once
    /// for many workers, else read now), or this machine for a `local` worker.
    func link(_ worker: Worker, through config: SSHConfigRead? = nil) throws(RemoteJobsError) -> WorkerLink {
        if worker.kind == .local { return WorkerLink(worker: worker, access: .local) }
        return WorkerLink(
            worker: worker, access: .ssh(target: try resolveTarget(worker, through: config), pool: pool), keeper: keeper
        )
    }

    func resolveTarget(_ worker: Worker, through config: SSHConfigRead? = nil) throws(RemoteJobsError) -> SSHTarget {
        do {
            return try SSHTarget.resolve(worker.connection, config: (config ?? readSSHConfig()).get())
        } catch {
            throw .connection(worker: worker.name, jobID: nil, error)
        }
    }

    /// The ssh configuration connection strings resolve through (the engine's file, else
    /// `~/.ssh/config`), read once for a step that reaches many workers: read per worker, a
    /// 50-host file parsed for each of 50 workers was a quarter of `p ls`'s CPU. A file that
    /// cannot be read fails each worker's step, naming the worker, as a read per worker did.
    func readSSHConfig() -> SSHConfigRead {
        do {
            guard let sshConfigFile else { return .success(try SSHConfig.loadUserConfig()) }
            return .success(try SSHConfig.load(path: sshConfigFile))
        } catch {
            return .failure(error)
        }
    }
}

/// The ssh configuration as read at the start of a step, or why it could not be.
typealias SSHConfigRead = Result<SSHConfig, SSHError>
