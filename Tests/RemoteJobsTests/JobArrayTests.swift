import Foundation
import Testing

@testable import RemoteJobs

/// Job arrays as specs (`--array`, `--each`), commands with `{}`, and the spread over the
/// workers: pure logic.
@Suite("Job arrays: specs and spread")
struct JobArraySpecTests {
    @Test func slurmsFormsReadAsSlurmReadsThem() throws {
        let plain = try JobArray.parse("1-5")
        #expect(plain.elements.map(\.index) == [1, 2, 3, 4, 5] && plain.cap == nil)
        #expect(plain.elements.map(\.value) == ["1", "2", "3", "4", "5"])
        #expect(try JobArray.parse("0-8:4").elements.map(\.index) == [0, 4, 8])
        #expect(try JobArray.parse("1,3,7-9").elements.map(\.index) == [1, 3, 7, 8, 9])
        let capped = try JobArray.parse("1-50%4")
        #expect(capped.elements.count == 50 && capped.cap == 4)
        #expect(try JobArray.parse("7").elements.map(\.index) == [7])
    }

    @Test(arguments: [
        "", "5-1", "1-3%0", "1-3%x", "1-%2", "a", "1-2-3", "1,,2", "1-4:0", "1,1", "-1", "1%2%3", "0-99999",
    ])
    func badSpecsAreRefusedSayingWhy(spec: String) {
        #expect(throws: RemoteJobsError.self) { try JobArray.parse(spec) }
    }

    @Test func wordsAreElementsFromOne() throws {
        let array = try JobArray.each(["a", "b c"], cap: 1)
        #expect(array.elements == [.init(index: 1, value: "a"), .init(index: 2, value: "b c")] && array.cap == 1)
        #expect(throws: RemoteJobsError.self) { try JobArray.each([]) }
        #expect(throws: RemoteJobsError.self) { try JobArray.each(["a\nb"]) }
        let lines = try JobArray.lines("x\r\n\ny z\n")
        #expect(lines.elements.map(\.value) == ["x", "y z"])
    }

    @Test func braceBecomesTheValueQuotedWhenNotAPlainWord() {
        let plain = JobArray.Element(index: 3, value: "3")
        #expect(JobArray.command("train --seed {} --out r{}", for: plain) == "train --seed 3 --out r3")
        let hostile = JobArray.Element(index: 1, value: "a b; rm -rf ~ 'x'")
        let command = JobArray.command("echo {}", for: hostile)
        #expect(command == "echo " + ShellQuote.quote("a b; rm -rf ~ 'x'"))
        #expect(JobArray.command("echo {}", for: .init(index: 1, value: "path/to-file.txt")) == "echo path/to-file.txt")
    }

    static func worker(_ name: String, slots: Int?) -> Worker {
        var worker = Worker(name: name, connection: name)
        worker.slots = slots
        return worker
    }

    static func idle(cpus: Int = 4) -> WorkerLoad {
        WorkerLoad(cpus: cpus, loadAverage: 0, availableMemory: nil, runningJobs: 0, queuedJobs: 0)
    }

    @Test func elementsSpreadByWhatEachWorkerRunsAtOnce() {
        let workers = [
            (Self.worker("a", slots: 2), Self.idle()), (Self.worker("b", slots: 2), Self.idle()),
            (Self.worker("c", slots: 4), Self.idle()),
        ]
        let spread = ArraySpread.spread(count: 16, over: workers, cap: nil)
        #expect(spread.shares.map(\.elements.count) == [4, 4, 8])
        #expect(spread.shares.allSatisfy { $0.cap == nil }, "slots limit them")
        #expect(Set(spread.shares.flatMap(\.elements)) == Set(0..<16))
        // The first elements go out first: each worker's share starts low.
        #expect(Set(spread.shares.compactMap { $0.elements.first }) == [0, 1, 2])
    }

    @Test func theCapIsSharedAndAWorkerWithoutSlotsRunsItsCPUs() {
        let workers = [
            (Self.worker("a", slots: 2), Self.idle()), (Self.worker("b", slots: 2), Self.idle()),
            (Self.worker("c", slots: 2), Self.idle()), (Self.worker("d", slots: 2), Self.idle()),
        ]
        let capped = ArraySpread.spread(count: 100, over: workers, cap: 4)
        #expect(capped.shares.map(\.cap) == [1, 1, 1, 1])
        #expect(capped.shares.map(\.elements.count) == [25, 25, 25, 25])
        let few = ArraySpread.spread(count: 10, over: workers, cap: 2)
        #expect(few.shares.map(\.worker) == ["a", "b"], "a cap under the workers leaves the last out")
        #expect(few.shares.map(\.cap) == [1, 1])
        let unlimited = ArraySpread.spread(
            count: 10, over: [(Self.worker("u", slots: nil), Self.idle(cpus: 3))], cap: nil)
        #expect(unlimited.shares.first?.cap == 3)
    }

    @Test func aBusyWorkerGetsFewer() {
        var busy = Self.idle()
        busy.runningJobs = 2
        busy.queuedJobs = 2
        let spread = ArraySpread.spread(
            count: 8, over: [(Self.worker("busy", slots: 2), busy), (Self.worker("idle", slots: 2), Self.idle())],
            cap: nil)
        #expect(spread.shares.map(\.worker) == ["busy", "idle"])
        #expect(spread.shares.map(\.elements.count) == [2, 6])
    }
}

/// Result patterns (`--pull`): what is refused, and which matches are copied.
@Suite("Result patterns")
struct ResultPatternTests {
    @Test(arguments: ["/etc/*", "../x", "a/../../b", "~/x", "", "a\nb", "a/.."])
    func patternsThatCouldLeaveTheWorkDirectoryAreRefused(pattern: String) {
        #expect(throws: RemoteJobsError.self) { try JobRequest.checkPullPatterns([pattern]) }
    }

    @Test func ordinaryPatternsAreTaken() throws {
        try JobRequest.checkPullPatterns(["results/*.csv", "model.pt", "out", ".hidden*", "a..b"])
    }

    @Test func aDirectoryBringsWhatItHoldsSoItsMatchesAreNotCopiedTwice() {
        #expect(JobEngine.outermost(["out", "out/a.txt", "outer", "x/y", "x"]) == ["out", "outer", "x"])
    }
}

/// Retry policies as `--retry-on` writes them, and attempts as the wrapper records them.
@Suite("Retry policies")
struct RetryPolicyTests {
    @Test func retryOnReadsLostFailedAndCodes() throws {
        #expect(try RetryPolicy.parse(count: 2, on: nil) == RetryPolicy(count: 2, onLost: true))
        let mixed = try RetryPolicy.parse(count: 3, on: "lost,137,failed")
        #expect(mixed.onLost && mixed.onAnyFailure && mixed.onCodes == [137])
        #expect(mixed.workerLine == "3 failed")
        #expect(try RetryPolicy.parse(count: 1, on: "1, 3").workerLine == "1 1,3")
        #expect(try RetryPolicy.parse(count: 1, on: "lost").workerLine == nil, "lost is the client's")
        for (count, on) in [(0, "failed"), (101, "failed"), (1, "x"), (1, "0"), (1, "256"), (1, "")] {
            #expect(throws: RemoteJobsError.self) { try RetryPolicy.parse(count: count, on: on) }
        }
    }

    @Test func attemptsReadAsTheWrapperWritesThemAndNothingElse() {
        let attempts = JobAttempt.parse("1:1700000000:1700000002:1:0,2:1700000003:1700000004:137:17,bad,3:x:1:1:1")
        #expect(attempts.map(\.number) == [1, 2])
        #expect(attempts.map(\.exitCode) == [1, 137])
        #expect(attempts.map(\.logOffset) == [0, 17])
        #expect(FactsFields.parse(["0", "0", "-", "-", "-", "-", "-", "1:1:2:3:0"]).attempts.count == 1)
        #expect(FactsFields.parse(["0", "0", "-", "-", "-", "-", "-", "?"]).attempts.isEmpty)
    }
}

/// When a waiting client starts a lost job again.
@Suite("Lost jobs")
struct LostJobTests {
    static func record(_ status: JobStatus, retry: RetryPolicy?) -> JobRecord {
        var record = JobRecord(id: "a", worker: "w", connection: "w", root: ".p", command: "true", cwd: "/")
        record.status = status
        record.retry = retry
        return record
    }

    @Test func aLostJobWithRetriesLeftStartsAgainAndNoOtherDoes() {
        let now = Date()
        let policy = RetryPolicy(count: 1, onLost: true, lostAfter: 10)
        #expect(JobEngine.shouldRelaunch(Self.record(.unknown(reason: "gone"), retry: policy), outOfReachSince: nil))
        #expect(!JobEngine.shouldRelaunch(Self.record(.unknown(reason: "gone"), retry: nil), outOfReachSince: nil))
        let failedOnly = RetryPolicy(count: 1, onLost: false, onAnyFailure: true)
        #expect(
            !JobEngine.shouldRelaunch(Self.record(.unknown(reason: "gone"), retry: failedOnly), outOfReachSince: nil))
        var used = Self.record(.unknown(reason: "gone"), retry: policy)
        used.attempts = [JobAttempt(number: 1, startedAt: now, endedAt: now, exitCode: 0, logOffset: 0)]
        #expect(!JobEngine.shouldRelaunch(used, outOfReachSince: nil), "no retry left")
        var replaced = Self.record(.unknown(reason: "gone"), retry: policy)
        replaced.supersededBy = "b"
        #expect(!JobEngine.shouldRelaunch(replaced, outOfReachSince: nil), "started again already")
        let running = Self.record(.running, retry: policy)
        #expect(!JobEngine.shouldRelaunch(running, outOfReachSince: now.addingTimeInterval(-5), now: now))
        #expect(JobEngine.shouldRelaunch(running, outOfReachSince: now.addingTimeInterval(-11), now: now))
        let patient = Self.record(.running, retry: RetryPolicy(count: 1))
        #expect(!JobEngine.shouldRelaunch(patient, outOfReachSince: now.addingTimeInterval(-3600), now: now))
        #expect(!JobEngine.shouldRelaunch(Self.record(.done(endedAt: now), retry: policy), outOfReachSince: nil))
    }
}
