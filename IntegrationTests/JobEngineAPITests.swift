import Foundation
import Testing

@testable import RemoteJobs

/// The Swift API programs use: submit, poll, tail, follow, wait, cancel, list.
@Suite("The RemoteJobs API", .timeLimit(.minutes(10)), .throttled)
struct JobEngineAPITests {
    @Test func pollReassemblesTheOutputInBoundedPieces() async throws {
        let world = try await JobWorld.make()
        let engine = world.engine()
        let record = try await engine.submit(
            JobRequest(
                command: "echo started; sleep 0.5; head -c 300000 /dev/zero | tr '\\0' 'x'; printf '\\377end'",
                cwd: "/client"))
        #expect(record.status == .running)
        #expect(record.pid != nil)
        var offset: UInt64 = 0
        var output: [UInt8] = []
        var polls = 0
        while true {
            let poll = try await engine.poll(record.id, since: offset, maxBytes: 65536)
            #expect(poll.chunk.count <= 65536)
            #expect(poll.offset == offset)
            output += poll.chunk
            offset = poll.newOffset
            polls += 1
            if !poll.record.status.isRunning && !poll.more { break }
            if poll.chunk.isEmpty { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(
            output == Array("started\n".utf8) + Array(repeating: UInt8(ascii: "x"), count: 300_000) + [0xFF]
                + Array("end".utf8))
        #expect(polls >= 5, "300 KB in 64 KB pieces")
        let tail = try await engine.tail(record.id, lines: 1)
        #expect(tail.chunk.suffix(4) == [0xFF] + Array("end".utf8))
        #expect(tail.newOffset == offset)
        #expect(tail.offset + UInt64(tail.chunk.count) == offset)
        #expect(await engine.sessionsOpened == 1, "one pooled session serves every call")
        await engine.close()
    }

    /// Polls go through a long-lived poll server on the worker; when it dies, the next poll
    /// still answers (a script of its own, then a new server).
    @Test func pollsSurviveTheirServerDying() async throws {
        let world = try await JobWorld.make()
        let engine = world.engine()
        let record = try await engine.submit(
            JobRequest(
                command: "echo one; n=0; until [ -f go ] || [ $n -gt 6000 ]; do sleep 0.05; n=$((n+1)); done; echo two")
        )
        try await world.waitForOutput(record.id, "one")
        let first = try await engine.poll(record.id, since: 0)
        #expect(first.chunk == Array("one\n".utf8))
        let server = try #require(try await engine.pollServerPID(worker: "box"), "a poll server runs on the worker")
        // Only this engine's server: other tests' run on the same worker.
        #expect(try await world.onWorker("kill -KILL \(server)").status == .exited(0))
        try await world.letGo(record.id)
        _ = try await engine.wait(record.id)
        let second = try await engine.poll(record.id, since: first.newOffset)
        #expect(second.chunk == Array("two\n".utf8))
        #expect(second.record.status.name == "done")
        let third = try await engine.poll(record.id, since: 0, maxBytes: 4)
        #expect(third.chunk == Array("one\n".utf8) && third.more)
        await engine.close()
    }

    @Test func waitCancelListAndEvents() async throws {
        let world = try await JobWorld.make()
        let engine = world.engine()
        let quick = try await engine.submit(JobRequest(command: "exit 5"))
        let ended = try await engine.wait(quick.id)
        #expect(ended.status.exitCode == 5)
        #expect(ended.status.name == "failed")

        let slow = try await engine.submit(JobRequest(command: "echo started; sleep 300"))
        try await world.waitForOutput(slow.id, "started")
        #expect(await engine.list().records.map(\.id) == [slow.id])
        let cancelled = try await engine.cancel(slow.id, signal: .term, grace: .seconds(5))
        #expect(cancelled.status.name == "stopped")
        await #expect(throws: RemoteJobsError.jobNotRunning(id: slow.id, status: "stopped")) {
            _ = try await engine.cancel(slow.id)
        }
        let all = await engine.list(all: true)
        #expect(Set(all.records.map(\.id)) == [quick.id, slow.id])
        #expect(all.unreachable.isEmpty)

        let streamed = try await engine.submit(JobRequest(command: "printf 'a'; sleep 0.3; printf 'b'"))
        var bytes: [UInt8] = []
        var last: JobRecord?
        for try await event in engine.events(of: streamed.id) {
            switch event {
            case .output(let chunk): bytes += chunk
            case .errorOutput(let chunk): Issue.record("stderr apart from a job that keeps one log: \(chunk)")
            case .gap(let gap, _): Issue.record("a gap in an uncapped log: \(gap)")
            case .ended(let record): last = record
            }
        }
        #expect(bytes == Array("ab".utf8))
        #expect(last?.status.name == "done")

        let run = try await engine.run(JobRequest(command: "echo via run; exit 4")) { _ in }
        #expect(run.status.exitCode == 4)
        #expect(await engine.sessionsOpened == 1)
        await engine.close()
    }

    /// A consumer far behind the job's output loses nothing, `.ended` included: the
    /// reading from the worker waits for it. The consumer holds the first chunk until the
    /// job has ended on the worker (a buffer in between would have had to take all of it, or
    /// drop some), then takes the rest slowly.
    @Test func aSlowConsumerOfEventsLosesNothing() async throws {
        let world = try await JobWorld.make()
        let engine = world.engine()
        let job = try await engine.submit(
            JobRequest(
                command:
                    "echo ready; n=0; until [ -f go ] || [ $n -gt 6000 ]; do sleep 0.05; n=$((n+1)); done; i=0; while [ $i -lt 800 ]; do echo line $i; i=$((i+1)); sleep 0.002; done"
            ))
        var text = ""
        var ended: JobRecord?
        var heldBack = false
        for try await event in engine.events(of: job.id) {
            switch event {
            case .output(let chunk):
                text += String(decoding: chunk, as: UTF8.self)
                if text == "ready\n" {
                    try await world.letGo(job.id)
                } else if !heldBack {
                    heldBack = true
                    try await JobWorld.eventually("the job ended on the worker", timeout: .seconds(60)) {
                        try await world.existsOnWorker(world.jobDirectory(job.id) + "/exitcode")
                    }
                }
            case .errorOutput(let chunk): Issue.record("stderr apart from a job that keeps one log: \(chunk)")
            case .gap(let gap, _): Issue.record("a gap in an uncapped log: \(gap)")
            case .ended(let record): ended = record
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(heldBack)
        #expect(text == "ready\n" + (0..<800).map { "line \($0)\n" }.joined())
        #expect(ended?.status.name == "done")
        await engine.close()
    }

    @Test func badArgumentsAreClearErrors() async throws {
        let world = try await JobWorld.make()
        let engine = world.engine()
        await #expect(throws: RemoteJobsError.invalidJobID("xyz")) { _ = try await engine.poll("xyz", since: 0) }
        await #expect(throws: RemoteJobsError.unknownJob(prefix: "abcd")) {
            _ = try await engine.poll("abcd", since: 0)
        }
        await #expect(throws: RemoteJobsError.noWorkers) {
            _ = try await JobEngine(
                paths: PPaths(configDirectory: world.directory + "/none", dataDirectory: world.directory + "/none")
            )
            .submit(JobRequest(command: "true"))
        }
        await #expect(throws: RemoteJobsError.invalidEnvironment(key: "1BAD")) {
            _ = try await engine.submit(JobRequest(command: "true", environment: [(key: "1BAD", value: "x")]))
        }
        await engine.close()
    }
}
