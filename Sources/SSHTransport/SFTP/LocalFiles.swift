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
        modificationTime = UInt32(clamping: status.modified.tv_sec)
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
            now.modified.tv_sec == initial.modified.tv_sec, now.modified.tv_nsec == initial.modified.tv_nsec
        else {
            throw .localFileFailure(
                path: path, operation: "uploading",
                message: "the file changed while it was being read; the upload was discarded")
        }
    }

    func close() { Foundation.close(descriptor) }
}

/// A local file being downloaded: written under a temporary name beside the destination,
/// then given its permissions and modification time and renamed into place. Both names are
/// taken relative to the directory's descriptor, so nothing is resolved through a link
/// once the directory is open (see `LocalTreeWriter`).
final class LocalDestinationFile: @unchecked Sendable {
    // Used by one transfer at a time: created, written by its loop-side state, then
    // committed or discarded.
    let finalPath: String
    private let directory: Int32
    private let name: String
    private let temporaryName: String
    private let descriptor: Int32

    /// A file at `finalPath`, whose directory is followed as any path is.
    convenience init(finalPath: String) throws(SSHError) {
        let parent = (finalPath as NSString).deletingLastPathComponent
        let directory = open(parent.isEmpty ? "." : parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directory >= 0 else {
            throw .localFileFailure(path: finalPath, operation: "creating", message: String(cString: strerror(errno)))
        }
        try self.init(directory: directory, name: (finalPath as NSString).lastPathComponent, displayPath: finalPath)
    }

    /// A file `name` in the open `directory`, which this file owns (and closes).
    init(directory: Int32, name: String, displayPath: String) throws(SSHError) {
        finalPath = displayPath
        self.directory = directory
        self.name = name
        temporaryName = ".\(name).p-partial-\(UUID().uuidString.prefix(8))"
        descriptor = openat(directory, temporaryName, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            let code = errno
            close(directory)
            throw .localFileFailure(path: displayPath, operation: "creating", message: String(cString: strerror(code)))
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

    /// Sets the attributes and renames the file into place, replacing a file or link of
    /// that name (the link itself, not what it points to).
    func commit(permissions: UInt32, modificationTime: UInt32) throws(SSHError) {
        defer { Foundation.close(directory) }
        fchmod(descriptor, mode_t(permissions))
        var times = [
            timespec(tv_sec: Int(modificationTime), tv_nsec: 0), timespec(tv_sec: Int(modificationTime), tv_nsec: 0),
        ]
        futimens(descriptor, &times)
        Foundation.close(descriptor)
        guard renameat(directory, temporaryName, directory, name) == 0 else {
            let message = String(cString: strerror(errno))
            unlinkat(directory, temporaryName, 0)
            throw .localFileFailure(path: finalPath, operation: "renaming into place", message: message)
        }
    }

    func discard() {
        Foundation.close(descriptor)
        unlinkat(directory, temporaryName, 0)
        Foundation.close(directory)
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
            let modificationTime = UInt32(clamping: status.modified.tv_sec)
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
