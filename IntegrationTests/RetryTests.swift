import Foundation
import Testing

@testable import RemoteJobs

/// Retries against a real sshd: a failure retried by the job's wrapper on the worker (no
/// client involved), only on the codes asked for, never after a stop; each attempt's times,
/// exit code and log offset in the record; an array's failed elements retried alone.
@Suite("Retries", .timeLimit(.minutes(10)), .throttled)
struct RetryTests {
    @Test func aFailureIsRetriedOnTheWorkerUntilItSucceedsAndEachAttemptIsRecorded() async throws {
        let world = try await JobWorld.make()
        // Fails twice, then succeeds: the attempts share the work directory.
        let id = try JobWorld.id(
            try await world.p(
                "-n", "-d", "--retry", "3", "--retry-on", "failed", "--",
                "echo try >> tries; echo attempt $(wc -l < tries); [ $(wc -l < tries) -ge 3 ]"))
        // No client from here on: the wrapper retries by itself.
        try await JobWorld.eventually("the job ended", timeout: .seconds(60)) {
            try await world.existsOnWorker(world.jobDirectory(id) + "/exitcode")
        }
        let waited = try await world.p("wait", id)
        #expect(waited.status == 0, "the last attempt's code: \(waited.stderr)")
        let logs = try await world.p("logs", id)
        #expect(logs.stdoutText == "attempt 1\nattempt 2\nattempt 3\n", "\(logs.stdoutText)")
        let record = try #require(try world.records.load(id))
        #expect(record.attempts.map(\.number) == [1, 2])
        #expect(record.attempts.map(\.exitCode) == [1, 1])
        #expect(record.attempts.map(\.logOffset) == [0, 10])
        #expect(record.attempts[1].startedAt >= record.attempts[0].endedAt)
        #expect(record.retry == RetryPolicy(count: 3, onLost: false, onAnyFailure: true))
        let listed = try await world.p("ls", "-a", "--json")
        #expect(listed.stdoutText.contains("\"log_offset\" : 10"), "\(listed.stdoutText)")
    }

    @Test func onlyTheCodesAskedForAreRetriedAndAStopEndsTheRetries() async throws {
        let world = try await JobWorld.make()
        let other = try await world.p("-n", "--retry", "2", "--retry-on", "3,5", "--", "echo once; exit 4")
        #expect(other.status == 4, "\(other.stderr)")
        #expect(other.stdoutText == "once\n", "not retried")
        let three = try await world.p("-n", "--retry", "1", "--retry-on", "3", "--", "echo go; exit 3")
        #expect(three.status == 3, "the last attempt's code")
        #expect(three.stdoutText == "go\ngo\n", "retried once: \(three.stdoutText)")

        let id = try JobWorld.id(
            try await world.p("-n", "-d", "--retry", "20", "--retry-on", "failed", "--", "sleep 0.3; exit 1"))
        try await JobWorld.eventually("a first attempt ended", timeout: .seconds(30)) {
            try await world.existsOnWorker(world.jobDirectory(id) + "/attempts")
        }
        let stopped = try await world.p("stop", id)
        #expect(stopped.status == 0, "\(stopped.stderr)")
        let record = try #require(try world.records.load(id))
        guard case .stopped = record.status else {
            Issue.record("stopped, not \(record.status)")
            return
        }
        let attempts = try await world.workerText("cat '\(world.jobDirectory(id))/attempts'")
        try await Task.sleep(for: .seconds(3))
        #expect(
            try await world.workerText("cat '\(world.jobDirectory(id))/attempts'") == attempts,
            "no attempt after the stop")
    }

    @Test func anArraysFailedElementIsRetriedAlone() async throws {
        let world = try await JobWorld.make()
        let run = try await world.p(
            "-n", "--each", "a", "b", "--retry", "1", "--retry-on", "failed", "--",
            "echo {}; [ {} = a ] || [ -f seen ] || { touch seen; exit 1; }")
        #expect(run.status == 0, "\(run.stdoutText) \(run.stderr)")
        let elements = world.records.loadAll().records.filter { $0.array != nil }
        let a = try #require(elements.first { $0.array?.index == 1 })
        let b = try #require(elements.first { $0.array?.index == 2 })
        #expect(a.attempts.isEmpty)
        #expect(b.attempts.map(\.exitCode) == [1])
    }

    /// A second worker's sshd stops mid-array: once it has been out of reach for the
    /// `--lost-after`, `p wait` starts its elements again on the worker that answers, and
    /// every element ends with its own exact code.
    @Test func anArraysElementsOnAWorkerThatIsGoneFinishOnTheOthers() async throws {
        let far = try TestSSHD.start()
        var farStopped = false
        defer { if !farStopped { far.stop() } }
        let world = try await JobWorld.make(extraHosts: JobWorld.hostBlock(name: "far", sshd: far, port: far.port))
        // `far` is this machine (`box` may be a container): a root in its login's home.
        let farHome = try JobWorld.workerAccount(far).home ?? world.directory
        let farRoot = farHome + "/p-tests/far-root-" + UUID().uuidString.prefix(8)
        try await world.store.update { config throws(RemoteJobsError) in
            try config.register(Worker(name: "far", connection: "far", root: farRoot))
            for name in ["box", "far"] { try config.change(name, addLabels: ["pool"], slots: .some(2)) }
        }
        let submitted = try await world.p(
            "@pool", "-n", "-d", "--each", "0", "3", "5", "7", "--retry", "1", "--lost-after", "2s", "--",
            "sleep 1; echo ran {} on $(basename $(dirname $(dirname $PWD))); exit {}")
        #expect(submitted.status == 0, "\(submitted.stderr)")
        let arrayID = submitted.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        let first = world.records.loadAll().records.filter { $0.array?.id == arrayID }
        #expect(Set(first.map(\.worker)) == ["box", "far"], "spread over both: \(first.map(\.worker))")
        far.stop()
        farStopped = true
        let waited = try await world.p("wait", arrayID, timeout: .seconds(120))
        #expect(waited.status == 3, "the first failure's code, by index: \(waited.stdoutText) \(waited.stderr)")
        let elements = world.records.loadAll().records.filter { $0.array?.id == arrayID && $0.supersededBy == nil }
        #expect(elements.count == 4)
        for element in elements {
            let index = try #require(element.array?.index)
            let value = ["0", "3", "5", "7"][index - 1]
            #expect(element.status.reportedExitCode == Int32(value), "element \(index): \(element.status)")
            #expect(element.worker == "box", "finished on the worker that answers")
        }
        let moved = elements.filter { !$0.attempts.isEmpty }
        #expect(
            !moved.isEmpty
                && moved.allSatisfy { $0.attempts.first?.worker == "far" && $0.attempts.first?.lost == true },
            "\(moved)")
        let superseded = world.records.loadAll().records.filter { $0.supersededBy != nil }
        #expect(superseded.count == moved.count)
        #expect(superseded.allSatisfy { $0.worker == "far" })
        // Every element's record is one: `ARRAY:INDEX` names the one that ran to the end.
        let logs = try await world.p("logs", "\(arrayID.prefix(8)):2")
        #expect(logs.stdoutText.hasPrefix("ran 3 on "), "\(logs.stdoutText)")
    }

    @Test func anArraysFailedElementsRunAgainAloneWithRetryFailed() async throws {
        let world = try await JobWorld.make()
        // The flag is on the worker (which may be another machine).
        let flag = world.root + "-flag"
        let first = try await world.p("-n", "--each", "a", "b", "c", "--", "[ {} != b ] || [ -f '\(flag)' ]")
        #expect(first.status == 1, "\(first.stderr)")
        let arrayID = try #require(world.records.loadAll().records.first?.array?.id)
        let before = world.records.loadAll().records.filter { $0.array?.id == arrayID }
        _ = try await world.onWorker("touch '\(flag)'")
        let again = try await world.p("-n", "--retry-failed", String(arrayID.prefix(8)))
        #expect(again.status == 0, "\(again.stdoutText) \(again.stderr)")
        #expect(again.stdoutText.split(separator: "\n") == ["\(arrayID.prefix(8)):2  done"], "\(again.stdoutText)")
        let after = world.records.loadAll().records.filter { $0.array?.id == arrayID }
        #expect(after.count == 4, "the three and the one run again")
        let b = try #require(after.first { $0.array?.index == 2 && $0.supersededBy == nil })
        let oldB = try #require(before.first { $0.array?.index == 2 })
        #expect(b.attempts.first?.job == oldB.id && b.attempts.first?.exitCode == 1, "\(b.attempts)")
        let listed = try await world.p("ls", "-a")
        #expect(listed.stdoutText.contains("[3]") && listed.stdoutText.contains("3 done"), "\(listed.stdoutText)")
        let none = try await world.p("-n", "--retry-failed", String(arrayID.prefix(8)))
        #expect(none.status == 1 && none.stderr.contains("No element of array"), "\(none.stderr)")
        // `p rm ARRAY` removes the earlier elements as well.
        let removed = try await world.p("rm", String(arrayID.prefix(8)))
        #expect(removed.status == 0, "\(removed.stderr)")
        #expect(world.records.loadAll().records.isEmpty)
    }

    @Test func badRetryOptionsAreRefused() async throws {
        let world = try await JobWorld.make()
        for (arguments, message) in [
            (["--retry", "0"], "1 to 100"), (["--retry", "2", "--retry-on", "often"], "not 'often'"),
            (["--retry-on", "failed"], "goes with --retry"), (["--retry", "1", "--retry-on", "300"], "1-255"),
            (["--lost-after", "5s"], "goes with --retry"),
            (["--retry", "1", "--retry-on", "failed", "--lost-after", "5s"], "lost among --retry-on"),
        ] {
            let result = try await world.p(arguments: ["-n"] + arguments + ["--", "true"])
            #expect(result.status != 0 && result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
    }
}
