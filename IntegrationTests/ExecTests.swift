import Foundation
import Testing

@testable import SSHTransport

@Suite("Exec against a real sshd", .timeLimit(.minutes(10)), .throttled)
struct ExecTests {
    @Test func runCollectsOutputAndStatus() async throws {
        let session = try await TestSSHD.shared().connect()
        defer { session.close() }
        let result = try await session.run("printf 'out'; printf 'err' >&2; exit 3")
        #expect(result.stdoutText == "out")
        #expect(result.stderrText == "err")
        #expect(result.status == .exited(3))
    }

    @Test func binaryRoundTripIsByteExact() async throws {
        let session = try await TestSSHD.shared().connect()
        defer { session.close() }
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<1_000_003).map { _ in UInt8.random(in: 0...255, using: &generator) } + Array(0...255)
        let result = try await session.run("cat; cat /dev/null >&2", stdin: bytes)
        #expect(result.stdout == bytes)
        let echoed = try await session.run("cat >&2", stdin: bytes)
        #expect(echoed.stderr == bytes)
        #expect(echoed.stdout.isEmpty)
        #expect(echoed.status == .exited(0))
    }

    @Test func noTrailingNewlineAndInvalidUTF8() async throws {
        let session = try await TestSSHD.shared().connect()
        defer { session.close() }
        let result = try await session.run("printf '\\377\\376abc\\000'")
        #expect(result.stdout == [0xFF, 0xFE, 0x61, 0x62, 0x63, 0x00])
    }

    @Test func stdinIsWrittenAndClosed() async throws {
        let session = try await TestSSHD.shared().connect()
        defer { session.close() }
        let result = try await session.run("wc -c", stdin: Array(repeating: 0x41, count: 12345))
        #expect(result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) == "12345")
    }

    /// A reader that drained only stdout would stall once stderr filled the window.
    @Test func bothStreamsLargeAndInterleaved() async throws {
        let session = try await TestSSHD.shared().connect()
        defer { session.close() }
        let result = try await session.run(
            "for i in 1 2 3 4 5; do head -c 1000000 /dev/zero >&2; head -c 1000000 /dev/zero; done")
        #expect(result.stdout == [UInt8](repeating: 0, count: 5_000_000))
        // The login shell's start-up files may print before the command runs (seen once
        // under load); what the command wrote must all be there, at the end.
        let startupNoise = result.stderr.dropLast(5_000_000)
        #expect(result.stderr.suffix(5_000_000) == ArraySlice(repeating: 0, count: 5_000_000))
        #expect(!startupNoise.contains(0), "stderr: \(String(decoding: startupNoise, as: UTF8.self))")
        #expect(result.status == .exited(0))
    }

    @Test func exitSignalIsReported() async throws {
        let session = try await TestSSHD.shared().connect()
        defer { session.close() }
        let result = try await session.run("kill -9 $$")
        #expect(result.status == .signaled("KILL", message: ""))
        #expect(result.status.shellCode == 137)
        let terminated = try await session.run("kill -TERM $$")
        #expect(terminated.status.shellCode == 143)
    }

    @Test func exitCodesAreExact() async throws {
        let session = try await TestSSHD.shared().connect()
        defer { session.close() }
        for code: Int32 in [0, 1, 42, 255] {
            #expect(try await session.run("exit \(code)").status == .exited(code))
        }
    }

    /// Twenty commands on one session at once: one streams (until closed) while the other
    /// nineteen start, run and finish on the same connection, and it keeps streaming after.
    @Test func twentyConcurrentExecsOnOneSession() async throws {
        let session = try await TestSSHD.shared().connect()
        defer { session.close() }
        let streamer = try await session.exec(
            "i=0; while [ $i -lt 100000 ]; do i=$((i+1)); echo line $i; sleep 0.05; done")
        let streamed = Box<[UInt8]>([])
        let streaming = Task {
            for try await chunk in streamer.output { streamed.value += chunk.bytes }
        }
        let quickResults = try await withThrowingTaskGroup(of: (Int, SSHExecResult).self) { group in
            for index in 0..<19 {
                group.addTask { (index, try await session.run("echo quick \(index)")) }
            }
            var results: [Int: SSHExecResult] = [:]
            for try await (index, result) in group { results[index] = result }
            return results
        }
        for index in 0..<19 {
            #expect(quickResults[index]?.stdoutText == "quick \(index)\n")
            #expect(quickResults[index]?.status == .exited(0))
        }
        // The streaming command is still producing now that the others are done.
        let linesWhenQuickDone = streamed.value.filter { $0 == 0x0A }.count
        let deadline = ContinuousClock.now + .seconds(60)
        while streamed.value.filter({ $0 == 0x0A }).count < linesWhenQuickDone + 3 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(streamed.value.filter { $0 == 0x0A }.count >= linesWhenQuickDone + 3)
        streamer.close()
        try await streaming.value
        let lines = String(decoding: streamed.value, as: UTF8.self).split(separator: "\n")
        #expect(lines.enumerated().allSatisfy { $0.element == "line \($0.offset + 1)" }, "lines lost or out of order")
        #expect(session.isAlive)
    }

    /// Measured on a separate `p _exec` process, so that the tests running in parallel in
    /// this one do not blur the figure: streaming 100 MB must not grow memory by 20 MB.
    @Test func hundredMegabytesWithFlatMemory() async throws {
        let server = try await TestSSHD.shared()
        let config = try server.writeClientConfig()
        let p = try Shell.pExecutable
        let baseline = try Shell.measure(p, ["_exec", "-F", config, "worker", "head -c 1000 /dev/urandom"])
        let streamed = try Shell.measure(p, ["_exec", "-F", config, "worker", "head -c 100000000 /dev/urandom"])
        #expect(baseline.status == 0)
        #expect(streamed.status == 0)
        #expect(
            streamed.peakResidentBytes - baseline.peakResidentBytes < 20_000_000,
            "peak RSS \(streamed.peakResidentBytes) vs \(baseline.peakResidentBytes) for a tiny output")
    }

    /// Closing a command that is still running ends its channel cleanly (no exit status to
    /// wait for), however the server's replies interleave; the session stays usable.
    @Test func closingARunningCommandKeepsTheSessionUsable() async throws {
        let session = try await TestSSHD.shared().connect()
        defer { session.close() }
        for _ in 0..<20 {
            let exec = try await session.exec("while :; do echo tick; sleep 0.01; done")
            _ = try await exec.nextChunk()
            exec.close()
            #expect(try await exec.nextChunk() == nil)
            #expect(try await exec.exitStatus() == .unknown)
        }
        #expect(try await session.run("echo still here").stdoutText == "still here\n")
        #expect(session.isAlive)
    }

    @Test func cancellingAReadLeavesTheCommandRunning() async throws {
        let session = try await TestSSHD.shared().connect()
        defer { session.close() }
        // `cat` says nothing until it is given input: the read waits until cancelled.
        let exec = try await session.exec("cat")
        let waiting = Task { try await exec.nextChunk() }
        try await JobWorld.eventually("the read waits") { await exec.hasWaitingReader }
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
        try await exec.write(Array("late\n".utf8))
        try await exec.closeInput()
        let chunk = try await exec.nextChunk()
        #expect(chunk?.bytes == Array("late\n".utf8))
        #expect(try await exec.nextChunk() == nil)
        #expect(try await exec.exitStatus() == .exited(0))
    }

    /// An exec keeps its session alive: the caller may drop the session once it has the
    /// exec, as it may after opening an SFTP client.
    @Test func anExecOutlivesItsSessionsLastReference() async throws {
        func start() async throws -> SSHExec {
            let session = try await TestSSHD.shared().connect()
            return try await session.exec("sleep 0.3; echo late")
        }
        let exec = try await start()
        var output: [UInt8] = []
        while let chunk = try await exec.nextChunk() { output += chunk.bytes }
        #expect(output == Array("late\n".utf8))
        #expect(try await exec.exitStatus() == .exited(0))
    }

    /// Two tasks reading one command's output at once: the second fails at once with a
    /// clear error, and the first still gets the output (it used to wait forever).
    @Test func aSecondConcurrentReaderFailsAndTheFirstStillReads() async throws {
        let session = try await TestSSHD.shared().connect()
        defer { session.close() }
        let exec = try await session.exec("cat")
        let first = Task { try await exec.nextChunk() }
        try await JobWorld.eventually("the first read waits") { await exec.hasWaitingReader }
        await #expect {
            try await exec.nextChunk()
        } throws: { error in
            "\(error)".contains("another task is already reading this command's output")
        }
        try await exec.write(Array("data\n".utf8))
        try await exec.closeInput()
        #expect(try await first.value?.bytes == Array("data\n".utf8))
        #expect(try await exec.nextChunk() == nil)
    }
}
