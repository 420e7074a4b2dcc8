import Foundation

/// A local file being uploaded: read in chunks, and checked at the end for changes made
/// while it was read (size or modification time), which would make the copy inconsistent.
final class LocalSourceFile: @unchecked Sendable {
    let path: String
    let permissions: UInt32
    let modificationTime: UInt32
    private let descriptor: Int32
    private let initial: stat
    private var offset: off_t = 0

    init(path: String) throws(SSHError) {
        self.path = path
        descriptor = Foundation.open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw .localFileFailure(
                path: path, operation: "opening for upload", message: String(cString: strerror(errno)))
        }
        var status = stat()
        fstat(descriptor, &status)
        initial = status
        permissions = UInt32(status.st_mode) & 0o7777
        modificationTime = UInt32(clamping: status.st_mtim.tv_sec)
    }

    func readChunk(_ count: Int) throws(SSHError) -> [UInt8] {
        var chunk = [UInt8](repeating: 0, count: count)
        let got = chunk.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, count, offset) }
        guard got >= 0 else {
            throw .localFileFailure(
                path: path, operation: "reading for upload", message: String(cString: strerror(errno)))
        }
        offset += off_t(got)
        chunk.removeLast(count - got)
        return chunk
    }

    /// Throws if the file changed since it was opened.
    func checkUnchanged() throws(SSHError) {
        var now = stat()
        guard fstat(descriptor, &now) == 0, now.st_size == initial.st_size, now.st_size == offset,
            now.st_mtim.tv_sec == initial.st_mtim.tv_sec, now.st_mtim.tv_nsec == initial.st_mtim.tv_nsec
        else {
            throw .localFileFailure(
                path: path, operation: "uploading",
                message: "the file changed while it was being read; the upload was discarded")
        }
    }

    func close() { Foundation.close(descriptor) }
}

/// A local file being downloaded: written under a temporary name beside the destination,
/// then given its permissions and modification time and renamed into place.
final class LocalDestinationFile: @unchecked Sendable {
    let finalPath: String
    let temporaryPath: String
    private let descriptor: Int32

    init(finalPath: String) throws(SSHError) {
        self.finalPath = finalPath
        temporaryPath = SFTPClient.temporaryName(for: finalPath)
        descriptor = Foundation.open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw .localFileFailure(path: finalPath, operation: "creating", message: String(cString: strerror(errno)))
        }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws(SSHError) {
        var offset = 0
        while offset < bytes.count {
            let written = Foundation.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw .localFileFailure(
                    path: finalPath, operation: "writing", message: String(cString: strerror(errno)))
            }
            offset += written
        }
    }

    func commit(permissions: UInt32, modificationTime: UInt32) throws(SSHError) {
        fchmod(descriptor, mode_t(permissions))
        var times = [
            timespec(tv_sec: Int(modificationTime), tv_nsec: 0), timespec(tv_sec: Int(modificationTime), tv_nsec: 0),
        ]
        futimens(descriptor, &times)
        Foundation.close(descriptor)
        guard Foundation.rename(temporaryPath, finalPath) == 0 else {
            let message = String(cString: strerror(errno))
            unlink(temporaryPath)
            throw .localFileFailure(path: finalPath, operation: "renaming into place", message: message)
        }
    }

    func discard() {
        Foundation.close(descriptor)
        unlink(temporaryPath)
    }
}

/// A local directory tree as the transfer sees it.
struct LocalTree {
    typealias Kind = SFTPTreeEntry.Kind
    typealias Entry = SFTPTreeEntry

    var entries: [Entry] = []
    /// Sockets, FIFOs and devices, which are not copied.
    var skipped: [String] = []

    /// Walks `root` without following symbolic links, parents before children.
    static func scan(_ root: String) throws(SSHError) -> LocalTree {
        var tree = LocalTree()
        try tree.walk(root: root, relative: "")
        return tree
    }

    private mutating func walk(root: String, relative: String) throws(SSHError) {
        let directory = relative.isEmpty ? root : root + "/" + relative
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        } catch {
            throw .localFileFailure(path: directory, operation: "listing", message: error.localizedDescription)
        }
        for name in names {
            let path = relative.isEmpty ? name : relative + "/" + name
            let full = root + "/" + path
            var status = stat()
            guard lstat(full, &status) == 0 else {
                throw .localFileFailure(
                    path: full, operation: "reading attributes", message: String(cString: strerror(errno)))
            }
            let permissions = UInt32(status.st_mode) & 0o7777
            let modificationTime = UInt32(clamping: status.st_mtim.tv_sec)
            switch status.st_mode & S_IFMT {
            case S_IFDIR:
                entries.append(
                    Entry(path: path, kind: .directory, permissions: permissions, modificationTime: modificationTime))
                try walk(root: root, relative: path)
            case S_IFREG:
                entries.append(
                    Entry(
                        path: path, kind: .file(size: UInt64(status.st_size)), permissions: permissions,
                        modificationTime: modificationTime))
            case S_IFLNK:
                let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: full)) ?? ""
                entries.append(
                    Entry(
                        path: path, kind: .symbolicLink(target: target), permissions: permissions,
                        modificationTime: modificationTime))
            default:
                skipped.append(path)
            }
        }
    }

    static func fileSize(_ path: String) throws(SSHError) -> UInt64 {
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw .localFileFailure(
                path: path, operation: "reading attributes", message: String(cString: strerror(errno)))
        }
        return UInt64(status.st_size)
    }
}
