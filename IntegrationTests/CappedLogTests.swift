import Foundation
import MCP
import Testing

@testable import RemoteJobs

/// `--max-log`: a job that writes 1 GB under a 10 MB cap. The worker's disk holds about the
/// cap, every offset still counts every byte, and every reader (the API's events while the
/// job runs, `p logs` and `p logs -f` after, a poll, MCP) gets exactly the bytes kept, at
/// their offsets, and one notice where the middle was dropped.
@Suite("A capped log keeps its head and its tail", .timeLimit(.minutes(10)), .throttled)
struct CappedLogTests {
    static let cap: UInt64 = 10 << 20
    static let begin = Array("BEGIN\n".utf8)
    static let line = Array("0123456789abcdef\n".utf8)
    static let body: UInt64 = 1 << 30
    static let end = Array("\nEND\n".utf8)
    static let total = UInt64(begin.count) + body + UInt64(end.count)
    /// Writes `begin`, then 1 GB of `line`s, then `end` (1 GB ends inside a line).
    static let command = "echo BEGIN; yes 0123456789abcdef | head -c \(body); printf '\\nEND\\n'"

    /// The byte the command wrote at `offset`.
    static func expected(at offset: UInt64) -> UInt8 {
        if offset < UInt64(begin.count) { return begin[Int(offset)] }
        let inBody = offset - UInt64(begin.count)
        if inBody < body { return line[Int(inBody % UInt64(line.count))] }
        return end[Int(inBody - body)]
    }

    /// Whether `bytes` are what the command wrote from `offset` on.
    static func matches(_ bytes: [UInt8], at offset: UInt64) -> Bool {
        for (index, byte) in bytes.enumerated() where byte != expected(at: offset + UInt64(index)) { return false }
        return true
    }

    @Test(arguments: JobWorld.kinds) func aGigabyteUnderTenMegabytes(kind: WorkerKind) async throws {
        let world = try await JobWorld.make(kind: kind)
        let engine = world.engine()
        var request = JobRequest(command: Self.command)
        request.maxLog = Self.cap
        let record = try await engine.submit(request)
        #expect(record.maxLog == Self.cap)

        // Followed while it runs: every chunk is the command's bytes at its offset, and
        // each gap begins where the stream stood.
        var offset: UInt64 = 0
        var gaps: [LogGap] = []
        var mismatches = 0
        var ended: JobRecord?
        for try await event in engine.events(of: record.id) {
            switch event {
            case .output(let bytes):
                if !Self.matches(bytes, at: offset) { mismatches += 1 }
                offset += UInt64(bytes.count)
            case .gap(let gap, let stderr):
                #expect(!stderr)
                #expect(gap.from == offset)
                gaps.append(gap)
                offset = gap.to
            case .errorOutput: Issue.record("stderr apart from a job that keeps one log")
            case .ended(let record): ended = record
            }
        }
        #expect(mismatches == 0, "bytes that are not the command's at their offset (a hole's zeros?)")
        #expect(offset == Self.total)
        #expect(ended?.status.name == "done")

        // On the worker: a file whose size counts every byte, holding about the cap.
        let directory = world.jobDirectory(record.id)
        let size = try await world.workerText("wc -c < '\(directory)/output.log'")
        #expect(UInt64(size.trimmingCharacters(in: .whitespaces)) == Self.total)
        // The capper takes one last look once the exit code is there: the disk holds about
        // the cap from then on.
        try await JobWorld.eventually("the disk holds about the cap", timeout: .seconds(30)) {
            let kilobytes = try await world.workerText("du -k '\(directory)/output.log' | cut -f1")
            return (UInt64(kilobytes) ?? .max) << 10 <= Self.cap * 13 / 10
        }

        // `p logs` after the end: the head, one notice, the tail.
        let logs = try await world.p("logs", record.id)
        #expect(logs.status == 0, "\(logs.stderr)")
        try Self.checkHeadNoticeTail(logs.stdout)
        let followed = try await world.p("logs", "-f", record.id)
        #expect(followed.stdout == logs.stdout, "p logs -f shows what p logs shows")

        // A poll into the dropped part: empty, the gap, and where to go on.
        let poll = try await engine.poll(record.id, since: 6 << 20, maxBytes: 100)
        let gap = try #require(poll.gap)
        #expect(poll.chunk.isEmpty && gap.from == 6 << 20 && poll.newOffset == gap.to)
        let after = try await engine.poll(record.id, since: poll.newOffset, maxBytes: 100)
        #expect(after.chunk.count == 100 && Self.matches(after.chunk, at: poll.newOffset))

        // MCP: the same, with the notice as the chunk.
        let session = try await MCPSession.start(world)
        let answer = try await session.job("poll", ["job_id": .string(record.id), "since": .int(6 << 20)])
        #expect(answer.string("output_chunk")?.hasPrefix("[p: ") == true, "\(answer.error ?? "")")
        #expect(answer.int("new_offset") == Int(gap.to))
        #expect(answer.int("dropped_bytes") == Int(gap.to - (6 << 20)))
        await session.stop()
        await engine.close()
    }

    /// The worker's default (`p worker set --max-log`) caps the jobs that give none; a
    /// job's own `--max-log` wins; too small a cap is refused before anything runs.
    @Test(arguments: JobWorld.kinds) func theWorkersDefaultCapsJobsThatGiveNone(kind: WorkerKind) async throws {
        let world = try await JobWorld.make(kind: kind)
        let set = try await world.p("worker", "set", "box", "--max-log", "1M")
        #expect(set.status == 0, "\(set.stderr)")
        #expect(set.stdoutText.contains("log cap 1 MB"), "\(set.stdoutText)")
        let byDefault = try JobWorld.id(try await world.p("-n", "-d", "--", "true"))
        #expect(try world.records.load(byDefault)?.maxLog == 1 << 20)
        #expect(try await world.workerText("cat '\(world.jobDirectory(byDefault))/max_log'") == "\(1 << 20)")
        let own = try JobWorld.id(try await world.p("-n", "-d", "--max-log", "2M", "--", "true"))
        #expect(try world.records.load(own)?.maxLog == 2 << 20)
        let tooSmall = try await world.p("-n", "--max-log", "1K", "--", "echo never")
        #expect(tooSmall.status != 0 && tooSmall.stderr.contains("too small"), "\(tooSmall.stderr)")
        #expect(try await world.p("worker", "set", "box", "--no-max-log").status == 0)
        let uncapped = try JobWorld.id(try await world.p("-n", "-d", "--", "true"))
        #expect(try world.records.load(uncapped)?.maxLog == nil)
    }

    /// MCP's output resource (the log's last 64 KB) of a log capped below that: the kept
    /// end only, never the hole.
    @Test(arguments: JobWorld.kinds) func theOutputResourceOfASmallCapIsItsKeptEnd(kind: WorkerKind) async throws {
        let world = try await JobWorld.make(kind: kind)
        let id = try JobWorld.id(try await world.p("-n", "-d", "--max-log", "64K", "--", "seq 1 100000"))
        #expect(try await world.p("wait", id).status == 0)
        let session = try await MCPSession.start(world)
        try await JobWorld.eventually("the capper dropped the middle") {
            try await world.existsOnWorker(world.jobDirectory(id) + "/output.log.gap")
        }
        let contents = try await session.client.readResource(uri: "p://jobs/\(id)/output")
        let text = try #require(contents.first?.text)
        #expect(text.hasSuffix("99999\n100000\n"), "\(text.suffix(40))")
        #expect(!text.contains("\u{0}") && text.utf8.count <= 65_536)
        await session.stop()
    }

    /// `output` is the head of the command's bytes, one notice line naming how many bytes
    /// were dropped, and the tail, which ends where the command's bytes end.
    static func checkHeadNoticeTail(_ output: [UInt8]) throws {
        let marker = Array("[p: ".utf8)
        let starts = (0...(output.count - marker.count)).filter { Array(output[$0..<$0 + marker.count]) == marker }
        try #require(starts.count == 1, "one notice, not \(starts.count)")
        let noticeStart = starts[0]
        let noticeEnd = try #require(output[noticeStart...].firstIndex(of: 0x0A))
        let notice = String(decoding: output[noticeStart..<noticeEnd], as: UTF8.self)
        let dropped = try #require(UInt64(notice.dropFirst(4).prefix { $0.isNumber }), "\(notice)")
        var head = Array(output[..<noticeStart])
        // The notice is on a line of its own: a newline before it that the command did not write.
        if let last = head.last, last == 0x0A, expected(at: UInt64(head.count - 1)) != 0x0A { head.removeLast() }
        let tail = Array(output[(noticeEnd + 1)...])
        #expect(matches(head, at: 0))
        #expect(
            UInt64(head.count) + dropped + UInt64(tail.count) == total, "\(head.count) + \(dropped) + \(tail.count)")
        #expect(matches(tail, at: total - UInt64(tail.count)))
        #expect(head.count >= 4 << 20 && tail.count >= 4 << 20, "about half the cap each")
        #expect(UInt64(output.count) <= cap * 13 / 10)
    }
}
