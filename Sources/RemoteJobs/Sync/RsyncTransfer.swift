import Foundation
import SSHTransport

/// Runs the local rsync to copy a list of paths into a work directory, with a program of
/// p's as rsync's remote shell (`p _exec`: one exec channel over p's own SSH, piping stdin
/// and stdout), so no OpenSSH is involved. Exactly the listed paths travel
/// (`--files-from`, NUL-separated, so any name works); `--copy-dest` lets the worker's
/// rsync copy files that match an earlier work directory instead of receiving them.
struct RsyncTransfer {
    /// The local rsync.
    var executable: String
    /// The remote shell: a program and its first arguments; rsync appends the host and the
    /// remote command.
    var remoteShell: [String]

    /// The worker's name and connection string, passed to the remote shell.
    var workerName: String
    var connection: String
    var sshConfigFile: String?

    /// Sends `paths` (relative to `directory`) into `workdir` on the worker.
    /// - Parameters:
    ///   - copyDest: a directory on the worker, relative to `workdir`, holding an earlier copy.
    ///   - scratch: a private local directory for the list file.
    func send(
        _ paths: [String], from directory: String, to workdir: String, copyDest: String?, scratch: String,
        totalBytes: UInt64, progress: TransferProgressHandler?
    ) async throws {
        let listFile = scratch + "/rsync-" + UUID().uuidString
        try AtomicFile.write(paths.flatMap { Array($0.utf8) + [0] }, to: listFile)
        defer { unlink(listFile) }
        var arguments = ["-lpt", "--from0", "--files-from=" + listFile, "-e", Self.commandString(shellWords)]
        if let copyDest { arguments.append("--copy-dest=" + copyDest) }
        if progress != nil { arguments.append("--info=progress2") }
        arguments += [directory + "/", "p-worker:" + workdir + "/"]
        let fileCount = paths.count
        let result = try await ChildProcess.run(executable, arguments: arguments) { line in
            guard let progress, let done = Self.parseProgress(line) else { return }
            progress(
                TransferProgress(
                    bytesDone: min(done.bytes, totalBytes), bytesTotal: totalBytes, filesDone: done.files,
                    filesTotal: fileCount))
        }
        try Task.checkCancellation()
        guard result.status == 0 else {
            throw RemoteJobsError.syncFailed(
                worker: workerName,
                detail: "rsync ended with status \(result.status): " + Self.summary(result.standardError))
        }
    }

    private var shellWords: [String] {
        remoteShell + ["--connection", connection] + (sshConfigFile.map { ["-F", $0] } ?? [])
    }

    /// `words` as one `-e` string: rsync splits it at spaces and honours single and double
    /// quotes (not backslashes).
    static func commandString(_ words: [String]) -> String {
        words.map { word in
            if !word.isEmpty && !word.contains(where: { $0 == " " || $0 == "'" || $0 == "\"" }) { return word }
            return word.contains("'") ? "\"" + word + "\"" : "'" + word + "'"
        }.joined(separator: " ")
    }

    /// Bytes and files done from one `--info=progress2` line:
    /// `  1,234,567  45%  12.34MB/s  0:00:01 (xfr#3, to-chk=5/10)`.
    static func parseProgress(_ line: String) -> (bytes: UInt64, files: Int)? {
        let words = line.split(separator: " ")
        guard let first = words.first, let bytes = UInt64(first.filter { $0 != "," }) else { return nil }
        var files = 0
        if let range = line.range(of: "xfr#") {
            files = Int(line[range.upperBound...].prefix(while: { $0.isNumber })) ?? 0
        }
        return (bytes, files)
    }

    /// rsync's own error lines, without the closing `rsync error: ... (code N)` line when
    /// others say more.
    static func summary(_ standardError: String) -> String {
        let lines = standardError.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        let specific = lines.filter { !$0.hasPrefix("rsync error:") }
        let chosen = specific.isEmpty ? lines : specific
        return chosen.isEmpty ? "no message" : chosen.prefix(5).joined(separator: "; ")
    }
}
