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

/// `p _run-many`: runs one command N times at once through a session pool (benchmarks).
struct RunMany: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "_run-many",
        abstract: "Run a command many times at once through p's session pool.",
        shouldDisplay: false
    )

    @OptionGroup var connection: TargetOptions

    @Option(name: .customShort("n"), help: "How many times.")
    var count = 100

    @Argument(help: "The host or alias.")
    var host: String

    @Argument(parsing: .captureForPassthrough, help: "The command.")
    var command: [String] = []

    func run() async throws {
        try await reportingErrors {
            let target = try connection.resolve(host)
            let pool = SSHSessionPool()
            let line = command.joined(separator: " ")
            let failures = try await withThrowingTaskGroup(of: Int32.self) { group in
                for _ in 0..<count { group.addTask { try await pool.run(line, on: target).status.shellCode ?? 255 } }
                return try await group.reduce(0) { $0 + ($1 == 0 ? 0 : 1) }
            }
            await pool.close()
            return failures == 0 ? 0 : 1
        }
    }
}
