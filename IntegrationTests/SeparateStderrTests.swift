import Foundation
import MCP
import Testing

@testable import RemoteJobs

/// `--separate-stderr`: stdout and stderr in logs of their own, each with its own offsets,
/// streamed to p's own stdout and stderr, and read apart by `p logs --stderr`, the Swift
/// API's events and MCP's `poll` with `stream`.
@Suite("stderr kept apart", .timeLimit(.minutes(10)), .throttled)
struct SeparateStderrTests {
    /// Writes interleaved lines to stdout and stderr, each stream's bytes distinct.
    static let command = "for i in 1 2 3; do echo out$i; echo err$i >&2; done; printf 'tail-without-newline' >&2"

    @Test(arguments: JobWorld.kinds) func theCLIStreamsEachToItsOwnDescriptorAndLogsReadThemApart(kind: WorkerKind)
        async throws
    {
        let world = try await JobWorld.make(kind: kind)
        let result = try await world.p("-n", "--separate-stderr", "--", Self.command)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdoutText == "out1\nout2\nout3\n")
        #expect(result.stderr.hasPrefix("err1\nerr2\nerr3\ntail-without-newline"), "\(result.stderr)")
        let id = try #require(world.records.loadAll().records.first?.id)
        #expect(try await world.p("logs", id).stdoutText == "out1\nout2\nout3\n")
        #expect(try await world.p("logs", id, "--stderr").stdoutText == "err1\nerr2\nerr3\ntail-without-newline")
        #expect(try await world.p("logs", id, "--stderr", "--tail", "1").stdoutText == "tail-without-newline")
        let followed = try await world.p("logs", id, "--stderr", "-f")
        #expect(followed.stdoutText == "err1\nerr2\nerr3\ntail-without-newline", "\(followed.stderr)")

        // A job without the flag has one log; asking for its stderr says where it is.
        let plain = try await world.p("-n", "-d", "--", "echo both >&2")
        let plainID = try JobWorld.id(plain)
        _ = try await world.p("wait", plainID)
        let refused = try await world.p("logs", plainID, "--stderr")
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("--separate-stderr"), "\(refused.stderr)")
        #expect(try await world.p("logs", plainID).stdoutText == "both\n")
    }

    @Test(arguments: JobWorld.kinds) func theAPIsEventsSayWhichStreamAndPollsKeepTheirOwnOffsets(kind: WorkerKind)
        async throws
    {
        let world = try await JobWorld.make(kind: kind)
        let engine = world.engine()
        var request = JobRequest(command: Self.command)
        request.separateStderr = true
        let record = try await engine.submit(request)
        var stdout: [UInt8] = []
        var stderr: [UInt8] = []
        var ended: JobRecord?
        for try await event in engine.events(of: record.id) {
            switch event {
            case .output(let bytes): stdout += bytes
            case .errorOutput(let bytes): stderr += bytes
            case .gap(let gap, _): Issue.record("a gap in an uncapped log: \(gap)")
            case .ended(let record): ended = record
            }
        }
        #expect(String(decoding: stdout, as: UTF8.self) == "out1\nout2\nout3\n")
        #expect(String(decoding: stderr, as: UTF8.self) == "err1\nerr2\nerr3\ntail-without-newline")
        #expect(ended?.status.name == "done")

        let errors = try await engine.poll(record.id, since: 5, maxBytes: 5, stream: .stderr)
        #expect(String(decoding: errors.chunk, as: UTF8.self) == "err2\n")
        #expect(errors.logSize == UInt64(stderr.count))
        #expect(errors.more)
        let outputs = try await engine.poll(record.id, since: 5, maxBytes: 100)
        #expect(String(decoding: outputs.chunk, as: UTF8.self) == "out2\nout3\n")
        #expect(outputs.logSize == UInt64(stdout.count))
        await engine.close()
    }

    /// `p logs -f` of such a job streams both, each to p's own; after a Ctrl+C, the next
    /// `p logs -f` goes on where each stream stood, repeating nothing.
    @Test(arguments: JobWorld.kinds) func followingAgainResumesBothStreams(kind: WorkerKind) async throws {
        let world = try await JobWorld.make(kind: kind)
        let id = try JobWorld.id(
            try await world.p(
                "-n", "-d", "--separate-stderr", "--",
                "echo out1; echo err1 >&2; n=0; until [ -f go ] || [ $n -gt 6000 ]; do sleep 0.05; n=$((n+1)); done; echo out2; echo err2 >&2"
            ))
        let first = try world.start("logs", "-f", id)
        try await first.waitForOutput("out1")
        try await JobWorld.eventually("stderr streamed") { first.stderrSoFar.contains("err1") }
        first.signal(SIGINT)
        let cut = try await first.wait()
        #expect(cut.status == 130)
        #expect(cut.stdoutText == "out1\n")
        let record = try #require(try world.records.load(id))
        #expect(record.resumeOffset == 5 && record.resumeErrorOffset == 5, "\(record)")

        try await world.letGo(id)
        let again = try await world.p("logs", "-f", id)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdoutText == "out2\n")
        #expect(again.stderr.contains("err2\n") && !again.stderr.contains("err1"), "\(again.stderr)")
        let ended = try #require(try world.records.load(id))
        #expect(ended.resumeOffset == nil && ended.resumeErrorOffset == nil)
    }

    @Test(arguments: JobWorld.kinds) func mcpSubmitsWithSeparateStderrAndPollsEitherStream(kind: WorkerKind)
        async throws
    {
        let world = try await JobWorld.make(kind: kind)
        let session = try await MCPSession.start(world)
        let submitted = try await session.job("submit", ["command": .string(Self.command), "separate_stderr": true])
        let id = try #require(submitted.string("job_id"), "\(submitted.error ?? "")")
        var ended = false
        for _ in 0..<60 where !ended {
            let poll = try await session.job("poll", ["job_id": .string(id), "wait_s": 1])
            ended = poll.string("status") == "done"
        }
        #expect(ended)
        let errors = try await session.job("poll", ["job_id": .string(id), "stream": "stderr", "since": 0])
        #expect(errors.string("output_chunk") == "err1\nerr2\nerr3\ntail-without-newline", "\(errors.error ?? "")")
        let outputs = try await session.job("poll", ["job_id": .string(id), "stream": "stdout"])
        #expect(outputs.string("output_chunk") == "out1\nout2\nout3\n")
        let bad = try await session.job("poll", ["job_id": .string(id), "stream": "both"])
        #expect(bad.error?.contains("stream") == true)
        await session.stop()
    }
}
