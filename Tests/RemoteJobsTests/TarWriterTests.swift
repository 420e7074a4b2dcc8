import Foundation
import Testing

@testable import RemoteJobs

/// p's tar streams, extracted by the system's tar (GNU tar here, as on most workers).
@Suite("Tar streams")
struct TarWriterTests {
    @Test func gnuTarExtractsNamesOfAnyLengthLinksModesAndTimes() async throws {
        let long = String(repeating: "directory-name-", count: 8) + "/" + String(repeating: "f", count: 99)
        let veryLong = String(repeating: "x", count: 130) + "/" + String(repeating: "y", count: 130)
        let files: [(path: String, contents: String, mode: UInt32, mtime: Int64)] = [
            ("plain.txt", "plain\n", 0o644, 1_600_000_000),
            ("tool.sh", "#!/bin/sh\n", 0o755, 1_700_000_000),
            ("naïve — ü/with\nnewline", "odd", 0o600, 1_500_000_000),
            (long, "split into prefix and name", 0o644, 1_600_000_001),
            (veryLong, "needs a pax path", 0o644, 1_600_000_002),
            ("empty", "", 0o644, 1_600_000_003),
            ("block", String(repeating: "b", count: 512), 0o644, 1_600_000_004),
        ]
        var archive: [UInt8] = []
        for file in files {
            let bytes = Array(file.contents.utf8)
            archive += TarWriter.header(
                path: file.path, kind: .file, mode: file.mode, size: UInt64(bytes.count), modified: file.mtime)
            archive += bytes + TarWriter.padding(after: UInt64(bytes.count))
        }
        let longTarget = String(repeating: "../t", count: 40)
        archive += TarWriter.header(
            path: "link", kind: .symlink(target: "plain.txt"), mode: 0o777, size: 0, modified: 1)
        archive += TarWriter.header(path: "far", kind: .symlink(target: longTarget), mode: 0o777, size: 0, modified: 1)
        archive += TarWriter.end
        #expect(archive.count % 512 == 0)

        let directory = NSTemporaryDirectory() + "p-tar-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Data(archive).write(to: URL(fileURLWithPath: directory + ".tar"))
        defer { unlink(directory + ".tar") }
        let result = try await ChildProcess.run(
            "/bin/tar", arguments: ["-x", "-p", "-f", directory + ".tar", "-C", directory], onOutput: { _ in })
        #expect(result.status == 0, "\(result.standardError)")
        for file in files {
            let full = directory + "/" + file.path
            #expect(try String(contentsOfFile: full, encoding: .utf8) == file.contents, "\(file.path)")
            var info = stat()
            #expect(lstat(full, &info) == 0)
            #expect(UInt32(info.st_mode & 0o7777) == file.mode, "\(file.path)")
            #expect(Int64(info.st_mtim.tv_sec) == file.mtime, "\(file.path)")
        }
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: directory + "/link") == "plain.txt")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: directory + "/far") == longTarget)
    }
}
