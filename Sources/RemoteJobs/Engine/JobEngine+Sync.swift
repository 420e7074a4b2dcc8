import Foundation
import SSHTransport

extension JobEngine {
    /// Copies the planned entries of `directory` into the job's work directory over SFTP,
    /// several files in flight at once. The directories above it are created private (0700).
    func sync(
        _ plan: SyncPlanner.Plan, from directory: String, into record: JobRecord, on worker: Worker,
        progress: SFTPProgressHandler?
    ) async throws {
        let target = try resolveTarget(worker)
        let workdir = record.root + "/workdirs/" + record.id
        let entries = plan.entries.map { entry in
            let kind: SFTPTreeEntry.Kind
            switch entry.kind {
            case .file: kind = .file(size: entry.size)
            case .directory: kind = .directory
            case .symlink(let linkTarget): kind = .symbolicLink(target: linkTarget)
            }
            return SFTPTreeEntry(
                path: entry.path, kind: kind, permissions: entry.mode,
                modificationTime: UInt32(clamping: entry.modifiedSeconds))
        }
        let root = record.root
        do {
            try await pool.withSession(target) { session in
                let sftp = try await session.sftp()
                do {
                    for path in [root, root + "/workdirs", workdir] where !(try await sftp.exists(path)) {
                        try await sftp.createDirectory(path, permissions: 0o700, intermediate: true)
                    }
                    try await sftp.uploadTree(directory, to: workdir, entries: entries, progress: progress)
                    await sftp.close()
                } catch {
                    await sftp.close()
                    throw error
                }
            }
        } catch let error as SSHError {
            if case .localFileFailure = error {
                throw RemoteJobsError.invalidArgument("could not copy the work directory: \(error)")
            }
            throw RemoteJobsError.connection(worker: worker.name, jobID: nil, error)
        }
    }
}
