import Foundation

/// Writes a downloaded tree into a local destination without ever passing through a
/// symbolic link below it: every directory is opened relative to its parent's descriptor
/// with `O_NOFOLLOW`, and files and links are created, renamed and removed relative to their
/// directory's descriptor, so a link that appears in the destination (one an earlier
/// download made, say) can never redirect a write elsewhere. A link where a directory is
/// about to be written stops the download with `SSHError.symbolicLinkInDestination`.
///
/// The destination's parent directories are the caller's choice and are followed as any
/// path is; the destination itself (its last component) and everything below it are not.
final class LocalTreeWriter: @unchecked Sendable {
    // Immutable after init; the descriptor is only read (openat) from several tasks at once.
    private let parentDescriptor: Int32
    /// The destination's last component, opened under `parentDescriptor`; nil when the
    /// destination is the parent itself (`.`, `/`).
    private let rootName: String?
    /// The destination as given, for messages.
    let rootPath: String

    /// A writer for the tree at `destination`, whose parent directories are created
    /// (following links, as `mkdir -p` does) when missing.
    init(destination: String) throws(SSHError) {
        rootPath = destination
        let name = (destination as NSString).lastPathComponent
        let parent: String
        if name.isEmpty || name == "." || name == ".." || name == "/" {
            parent = destination
            rootName = nil
        } else {
            let directory = (destination as NSString).deletingLastPathComponent
            parent = directory.isEmpty ? "." : directory
            rootName = name
        }
        do {
            try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        } catch {
            throw .localFileFailure(
                path: parent, operation: "creating the directory", message: error.localizedDescription)
        }
        let descriptor = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw .localFileFailure(path: parent, operation: "opening", message: String(cString: strerror(errno)))
        }
        parentDescriptor = descriptor
    }

    deinit { close(parentDescriptor) }

    /// The local path of a relative path of the tree, for messages.
    func displayPath(_ relative: String) -> String {
        relative.isEmpty ? rootPath : rootPath + "/" + relative
    }

    /// Opens (creating it when missing, with the umask's mode until `setAttributes`) the directory at
    /// `relative` (`""` is the tree's root), walking down from the destination's parent
    /// without following any link. The caller closes the descriptor.
    func openDirectory(_ relative: String, create: Bool = true) throws(SSHError) -> Int32 {
        var components = relative.split(separator: "/").map(String.init)
        if let rootName { components.insert(rootName, at: 0) }
        var current = dup(parentDescriptor)
        guard current >= 0 else {
            throw .localFileFailure(path: rootPath, operation: "opening", message: String(cString: strerror(errno)))
        }
        var walked: [String] = []
        for component in components {
            walked.append(component)
            let next = try openChild(component, of: current, create: create, path: walked)
            close(current)
            current = next
        }
        return current
    }

    private func openChild(_ name: String, of directory: Int32, create: Bool, path: [String]) throws(SSHError)
        -> Int32
    {
        let flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC
        var descriptor = openat(directory, name, flags)
        if descriptor < 0 && errno == ENOENT && create {
            if mkdirat(directory, name, 0o777) != 0 && errno != EEXIST {
                let code = errno
                close(directory)
                throw .localFileFailure(
                    path: local(path), operation: "creating the directory", message: String(cString: strerror(code)))
            }
            descriptor = openat(directory, name, flags)
        }
        guard descriptor < 0 else { return descriptor }
        let code = errno
        var info = stat()
        let isLink = fstatat(directory, name, &info, AT_SYMLINK_NOFOLLOW) == 0 && (info.st_mode & S_IFMT) == S_IFLNK
        close(directory)
        if isLink { throw .symbolicLinkInDestination(path: local(path)) }
        if code == ENOTDIR || code == ELOOP {
            throw .localFileFailure(
                path: local(path), operation: "writing a directory",
                message: "something other than a directory is there")
        }
        throw .localFileFailure(
            path: local(path), operation: "opening the directory", message: String(cString: strerror(code)))
    }

    private func local(_ components: [String]) -> String {
        let relative = (rootName == nil ? components : Array(components.dropFirst())).joined(separator: "/")
        return displayPath(relative)
    }

    /// Creates the directory at `relative` (and its parents) if missing.
    func makeDirectory(_ relative: String) throws(SSHError) {
        close(try openDirectory(relative))
    }

    /// Makes `relative` a symbolic link to `target`, replacing a file or link there (the
    /// link itself, never what it points to).
    func makeSymbolicLink(_ relative: String, pointingTo target: String) throws(SSHError) {
        let (directory, name) = try parentAndName(relative)
        defer { close(directory) }
        if unlinkat(directory, name, 0) != 0 && errno != ENOENT {
            throw .localFileFailure(
                path: displayPath(relative), operation: "replacing with a symbolic link",
                message: String(cString: strerror(errno)))
        }
        guard symlinkat(target, directory, name) == 0 else {
            throw .localFileFailure(
                path: displayPath(relative), operation: "creating the symbolic link",
                message: String(cString: strerror(errno)))
        }
    }

    /// A new file for `relative`, written under a temporary name in its directory and
    /// renamed into place on commit.
    func createFile(_ relative: String) throws(SSHError) -> LocalDestinationFile {
        let (directory, name) = try parentAndName(relative)
        return try LocalDestinationFile(directory: directory, name: name, displayPath: displayPath(relative))
    }

    /// Gives the directory at `relative` its permissions and modification time.
    func setAttributes(_ relative: String, permissions: UInt32, modificationTime: UInt32) throws(SSHError) {
        let directory = try openDirectory(relative, create: false)
        defer { close(directory) }
        fchmod(directory, mode_t(permissions))
        var times = [
            timespec(tv_sec: Int(modificationTime), tv_nsec: 0), timespec(tv_sec: Int(modificationTime), tv_nsec: 0),
        ]
        futimens(directory, &times)
    }

    /// The descriptor of the directory holding `relative` (the caller closes it) and the
    /// last component's name.
    private func parentAndName(_ relative: String) throws(SSHError) -> (Int32, String) {
        let parent = (relative as NSString).deletingLastPathComponent
        let name = (relative as NSString).lastPathComponent
        return (try openDirectory(parent), name)
    }
}
