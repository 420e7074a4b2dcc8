import Foundation
import SSHTransport
import Yams

/// Reads and writes `config.yaml`. Writes are atomic, so a crash never leaves half a file.
struct WorkerStore: Sendable {
    /// The file this store reads and writes.
    let path: String

    /// A store for `paths.configFile`.
    init(paths: PPaths) {
        path = paths.configFile
    }

    /// The configuration; an absent file is an empty configuration.
    /// - Throws: `RemoteJobsError.configInvalid` for a file that is not valid YAML of the
    ///   expected shape, `.localFile` when it cannot be read.
    func load() throws(RemoteJobsError) -> WorkerConfig {
        guard let bytes = try LocalFile.contents(of: path) else { return WorkerConfig() }
        let text = String(decoding: bytes, as: UTF8.self)
        if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return WorkerConfig() }
        do {
            return try YAMLDecoder().decode(WorkerConfig.self, from: text)
        } catch {
            throw .configInvalid(path: path, reason: DecodingFailure.describe(error))
        }
    }

    /// Saves the configuration (mode 0600).
    func save(_ config: WorkerConfig) throws(RemoteJobsError) {
        let text: String
        do {
            text = try YAMLEncoder().encode(config)
        } catch {
            throw .configInvalid(path: path, reason: "\(error)")
        }
        try AtomicFile.write(Array(text.utf8), to: path)
    }

    /// Loads, changes and saves the configuration, holding an exclusive lock on
    /// `config.yaml.lock` throughout, so concurrent changes (two `p worker register` at
    /// once) never lose one another. The lock is asked for without blocking, and again
    /// every 5 ms while another process holds it, so no thread waits; the change and its
    /// fsync run off the cooperative pool.
    /// - Throws: `RemoteJobsError.timedOut` when the lock stays taken for 30 s while the
    ///   file does not change (a stuck process: others that commit in turn, however slowly
    ///   the disk flushes, keep the wait going), what `change` throws, or a file error.
    func update(_ change: @escaping @Sendable (inout WorkerConfig) throws(RemoteJobsError) -> Void)
        async throws(RemoteJobsError)
    {
        let lockPath = path + ".lock"
        try AtomicFile.createDirectory((path as NSString).deletingLastPathComponent)
        let descriptor = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .localFile(path: lockPath, action: "open", errno: errno) }
        defer { close(descriptor) }  // closing releases the lock
        let patience = Duration.seconds(30)
        var deadline = ContinuousClock.now + patience
        var version = fileVersion()
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else {
                throw .localFile(path: lockPath, action: "lock", errno: errno)
            }
            let seen = fileVersion()
            if seen != version {
                version = seen
                deadline = ContinuousClock.now + patience
            }
            guard ContinuousClock.now < deadline else {
                throw .timedOut(action: "waiting for another p to finish changing \(path)", after: patience)
            }
            do {
                try await Task.sleep(for: .milliseconds(5))
            } catch {
                throw .timedOut(action: "waiting for another p to finish changing \(path)", after: .zero)
            }
        }
        let store = self
        let outcome = await BlockingWork.run { () -> Result<Void, RemoteJobsError> in
            Result { () throws(RemoteJobsError) in
                var config = try store.load()
                try change(&config)
                try store.save(config)
            }
        }
        try outcome.get()
    }

    /// What tells one committed version of `config.yaml` from the next: every save renames
    /// a new file into place, so the inode changes.
    private func fileVersion() -> ino_t? {
        var info = stat()
        return stat(path, &info) == 0 ? info.st_ino : nil
    }
}
