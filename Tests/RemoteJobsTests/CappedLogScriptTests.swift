import Foundation
import Testing

@testable import RemoteJobs

/// The readers of a capped log (`RemoteScripts.logFunctions`), run locally under dash, bash
/// and BusyBox sh: a log whose middle was dropped (zeros where the hole is, as a punched
/// file reads) is read up to the gap, the gap is reported in the trailer, and no zero of the
/// hole is ever sent. The capper itself punches real holes in `CappedLogTests`.
@Suite("Reading a capped log, under dash, bash and BusyBox sh")
struct CappedLogScriptTests {
    /// 2,000 lines of 11 bytes (`line 00000\n`...), 22,000 bytes.
    static let content = Array((0..<2000).map { String(format: "line %05d\n", $0) }.joined().utf8)
    static let gap = LogGap(from: 4096, to: 16384)

    /// A job directory whose log is capped at 8 KB and dropped `gap`.
    func cappedJob(in root: String) throws -> String {
        let job = root + "/jobs/a"
        try FileManager.default.createDirectory(atPath: job, withIntermediateDirectories: true)
        var log = Self.content
        for index in Int(Self.gap.from)..<Int(Self.gap.to) { log[index] = 0 }
        try Data(log).write(to: URL(fileURLWithPath: job + "/output.log"))
        try "8192\n".write(toFile: job + "/max_log", atomically: false, encoding: .utf8)
        try "\(Self.gap.from) \(Self.gap.to)\n".write(
            toFile: job + "/output.log.gap", atomically: false, encoding: .utf8)
        try "0\n".write(toFile: job + "/exitcode", atomically: false, encoding: .utf8)
        return job
    }

    func root() throws -> String {
        let path = NSTemporaryDirectory() + "p-capped-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test(arguments: LocalShell.all)
    func pollsStopAtTheGapAndGoOnAfterIt(shell: LocalShell) async throws {
        let root = try root()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let job = try cappedJob(in: root)
        let head = try await shell.run(PollScript(jobDirectory: job, offset: 100, extent: .all))
        #expect(head.stdout == Array(Self.content[100..<4096]))
        #expect(head.control.end?.gap == Self.gap)
        #expect(head.control.end?.logSize == UInt64(Self.content.count))
        let inside = try await shell.run(PollScript(jobDirectory: job, offset: 5000, extent: .bytes(100)))
        #expect(inside.stdout.isEmpty)
        #expect(inside.control.end?.gap == Self.gap)
        let tail = try await shell.run(PollScript(jobDirectory: job, offset: 16384, extent: .bytes(3000)))
        #expect(tail.stdout == Array(Self.content[16384..<19384]))
        let lastLines = try await shell.run(PollScript(jobDirectory: job, offset: 0, extent: .lastLines(2)))
        #expect(String(decoding: lastLines.stdout, as: UTF8.self) == "line 01998\nline 01999\n")
        #expect(!lastLines.stdout.contains(0))
    }

    /// A job can write anything into its log's `.gap` file: a gap past the end of the log,
    /// one going backwards, or numbers too long for the shell read as none, and the last
    /// lines are still the log's last lines.
    @Test(arguments: LocalShell.all)
    func theLastLinesOfALogWithAForgedGap(shell: LocalShell) async throws {
        let root = try root()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let job = root + "/jobs/a"
        try FileManager.default.createDirectory(atPath: job, withIntermediateDirectories: true)
        try Data(Self.content).write(to: URL(fileURLWithPath: job + "/output.log"))
        try "8192\n".write(toFile: job + "/max_log", atomically: false, encoding: .utf8)
        for forged in ["9999999 99999999", "500 100", "abc def", "99999999999999999999999 1", "1 99999999999999999999"]
        {
            try (forged + "\n").write(toFile: job + "/output.log.gap", atomically: false, encoding: .utf8)
            let lastLines = try await shell.run(PollScript(jobDirectory: job, offset: 0, extent: .lastLines(2)))
            #expect(
                String(decoding: lastLines.stdout, as: UTF8.self) == "line 01998\nline 01999\n", "gap '\(forged)'")
            let all = try await shell.run(PollScript(jobDirectory: job, offset: 21_000, extent: .all))
            #expect(
                String(decoding: all.stdout, as: UTF8.self)
                    == String(decoding: Self.content[21_000...], as: UTF8.self), "gap '\(forged)'")
        }
    }

    @Test(arguments: LocalShell.all)
    func aFollowStopsAtTheGapWithTheGapInItsTrailer(shell: LocalShell) async throws {
        let root = try root()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let job = try cappedJob(in: root)
        let run = try await shell.run(FollowScript(jobDirectory: job, offset: 0, process: nil))
        #expect(run.stdout == Array(Self.content[0..<4096]))
        #expect(run.control.end?.gap == Self.gap)
        let after = try await shell.run(FollowScript(jobDirectory: job, offset: 16384, process: nil))
        #expect(after.stdout == Array(Self.content[16384...]))
    }

    @Test(arguments: LocalShell.all)
    func thePollServerCountsOnlyWhatItRead(shell: LocalShell) async throws {
        let root = try root()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let job = try cappedJob(in: root)
        let run = try await shell.run(
            PollServerSession(requests: PollServerScript.request(jobDirectory: job, offset: 4000, maxBytes: 500)))
        var stdout = run.stdout[...]
        for _ in 0..<2 {  // the announcement, then the answer's header
            let end = try #require(stdout.firstIndex(of: 0x0A))
            let line = String(decoding: stdout[..<end], as: UTF8.self)
            stdout = stdout[(end + 1)...]
            if let header = PollServerScript.parseAnswerHeader(line) {
                #expect(header.count == 96)
                #expect(header.control.end?.gap == Self.gap)
            }
        }
        #expect(Array(stdout) == Array(Self.content[4000..<4096]))
    }

    @Test func sizesAndNotices() throws {
        #expect(try ByteSize.parse("10M") == 10 << 20)
        #expect(try ByteSize.parse("10 MB") == 10 << 20)
        #expect(try ByteSize.parse("1.5g") == 3 << 29)
        #expect(try ByteSize.parse("4096") == 4096)
        #expect(try ByteSize.parse("64KiB") == 64 << 10)
        #expect(throws: RemoteJobsError.self) { try ByteSize.parse("ten") }
        #expect(throws: RemoteJobsError.self) { try ByteSize.parse("-1M") }
        #expect(ByteSize.format(10 << 20) == "10 MB")
        #expect(ByteSize.format(3 << 29) == "1.5 GB")
        let gap = LogGap(from: 10, to: 1010)
        #expect(gap.notice(cap: 10 << 20).hasPrefix("[p: 1000 bytes dropped here"))
        #expect(gap.noticeBytes(cap: nil, after: UInt8(ascii: "x")).first == 0x0A)
        #expect(gap.noticeBytes(cap: nil, after: 0x0A).first == UInt8(ascii: "["))
        #expect(EndLine.parse("p-end 5000/10/1010 1 - - - - - - -")?.gap == gap)
        #expect(EndLine.parse("p-end 5000/1010/10 1 - - - - - - -")?.gap == nil, "a gap must go forward")
        // The capper dropped more after the size was measured (the log grew meanwhile): the
        // gap stands, and the log is at least that long. Dropping it made a reader sitting
        // at the old gap's end stop with "no byte past N could be read" (seen in CI).
        let grown = EndLine.parse("p-end 5000/10/9000 1 - - - - - - -")
        #expect(grown?.gap == LogGap(from: 10, to: 9000) && grown?.logSize == 9000)
        #expect(EndLine.parse("p-end 500/x/1010 1 - - - - - - -")?.logSize == 500)
    }
}
