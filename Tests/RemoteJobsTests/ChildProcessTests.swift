import Foundation
import Testing

@testable import RemoteJobs

/// Local programs p starts (rsync for a sync) start with no signal blocked or ignored, so
/// cancelling one (TERM) ends it.
@Suite("Local child processes", .timeLimit(.minutes(10)))
struct ChildProcessTests {
    @Test func aChildStartsWithNoSignalBlockedOrIgnored() async throws {
        let lines = Lines()
        let result = try await ChildProcess.run(
            "/bin/grep", arguments: ["-E", "^Sig(Blk|Ign)", "/proc/self/status"], onOutput: { lines.append($0) })
        #expect(result.status == 0)
        // The standard signals, 1 to 31 (glibc keeps 32 and 33 for itself).
        let masks = lines.all.map { UInt64($0.split(separator: "\t").last ?? "", radix: 16).map { $0 & 0x7fff_ffff } }
        #expect(masks == [0, 0], "\(lines.all)")
    }

    @Test func cancellingEndsTheChild() async throws {
        let task = Task { try await ChildProcess.run("/bin/sleep", arguments: ["30"], onOutput: { _ in }) }
        try await Task.sleep(for: .milliseconds(200))
        task.cancel()
        let result = try await task.value
        #expect(result.status == 128 + SIGTERM)
    }
}

/// Lines collected from a child's output.
final class Lines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []  // guarded by `lock`

    func append(_ line: String) { lock.withLock { lines.append(line) } }
    var all: [String] { lock.withLock { lines.filter { !$0.isEmpty } } }
}
