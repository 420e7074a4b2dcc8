import ArgumentParser
import Foundation
import SSHTransport

/// `p _sftp`: one SFTP transfer over p's own SSH (for benchmarks and debugging).
struct FileTransfer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "_sftp",
        abstract: "Copy a file or a directory tree over p's SFTP client.",
        shouldDisplay: false
    )

    enum Direction: String, ExpressibleByArgument {
        case put, get
        case putTree = "put-tree"
        case getTree = "get-tree"
    }

    @OptionGroup var connection: TargetOptions

    @Argument(help: "The host or alias.")
    var host: String

    @Argument(help: "put, get, put-tree or get-tree.")
    var direction: Direction

    @Argument(help: "The source path.")
    var source: String

    @Argument(help: "The destination path.")
    var destination: String

    func run() async throws {
        try await reportingErrors {
            let session = try await SSHSession.connect(to: connection.resolve(host))
            defer { session.close() }
            try await session.withSFTP { sftp in
                switch direction {
                case .put: try await sftp.upload(source, to: destination)
                case .get: try await sftp.download(source, to: destination)
                case .putTree:
                    for skipped in try await sftp.uploadTree(source, to: destination) {
                        FileHandle.standardError.write(
                            Data("p: skipped \(skipped) (not a file, directory or link)\n".utf8))
                    }
                case .getTree: try await sftp.downloadTree(source, to: destination)
                }
            }
            return 0
        }
    }
}
