import Foundation
import Testing

@testable import RemoteJobs

@Suite("Job records on disk")
struct JobStoreTests {
    let directory: String
    let store: JobStore

    init() throws {
        directory = NSTemporaryDirectory() + "p-store-\(UUID().uuidString)"
        store = JobStore(paths: PPaths(configDirectory: directory + "/config", dataDirectory: directory + "/data"))
    }

    func record(_ id: String, status: JobStatus = .running, submitted: TimeInterval = 0) -> JobRecord {
        JobRecord(
            id: id, worker: "w", connection: "me@host:2222", root: ".p", command: "echo 'a b' \"c\"\nexit 3",
            cwd: "/home/me/src", submittedAt: Date(timeIntervalSince1970: 1_700_000_000 + submitted),
            startedAt: Date(timeIntervalSince1970: 1_700_000_001), pid: 42, bootID: "b", status: status)
    }

    @Test(arguments: [
        JobStatus.running, .paused, .done(endedAt: Date(timeIntervalSince1970: 1_700_000_100)),
        .failed(exitCode: 137, endedAt: nil), .stopped(signal: "TERM", exitCode: 143, endedAt: nil),
        .stopped(signal: "KILL", exitCode: nil, endedAt: Date(timeIntervalSince1970: 1_700_000_100)),
        .unknown(reason: "the worker rebooted"),
        .failed(exitCode: nil, endedAt: nil, reason: "the worker's disk is full"),
        .failed(exitCode: 0, endedAt: Date(timeIntervalSince1970: 1_700_000_100), reason: "disk full"),
        .syncing(by: ClientProcess(pid: 77, host: "laptop", started: 123)),
        .queued(reason: "ReqNodeNotAvail, UnavailableNodes:p-node"), .queued(reason: nil),
        .stopped(signal: "scancel", exitCode: nil, endedAt: nil),
    ])
    func everyStatusRoundTrips(status: JobStatus) throws {
        let original = record("0b6d3c1e-0000-4000-8000-000000000001", status: status)
        try store.save(original)
        #expect(try store.load(original.id) == original)
        let mode =
            try FileManager.default.attributesOfItem(atPath: store.path(of: original.id))[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test func anyDateFormatsWithoutTrapping() {
        for seconds in [1e300, -1e300, .infinity, -.infinity, .nan, 253_402_300_800, 0] {
            let text = RecordDates.format(Date(timeIntervalSince1970: seconds))
            #expect(RecordDates.parse(text) != nil, "\(seconds): \(text)")
        }
    }

    @Test func corruptRecordsAreReportedAndSkipped() throws {
        try store.save(record("aaaa0000-0000-4000-8000-000000000001"))
        try store.save(record("bbbb0000-0000-4000-8000-000000000002", submitted: 5))
        try Data("{\"id\": \"cccc\", truncated".utf8).write(
            to: URL(fileURLWithPath: store.path(of: "cccc0000-0000-4000-8000-000000000003")))
        try Data(
            #"{"id":"dddd0000-0000-4000-8000-000000000004","worker":"w","connection":"c","command":"x","cwd":"/","submitted_at":"2026-01-01T00:00:00Z","status":"failed"}"#
                .utf8
        )
        .write(to: URL(fileURLWithPath: store.path(of: "dddd0000-0000-4000-8000-000000000004")))
        let (records, problems) = store.loadAll()
        #expect(records.map(\.id) == ["aaaa0000-0000-4000-8000-000000000001", "bbbb0000-0000-4000-8000-000000000002"])
        #expect(problems.count == 2)
        #expect(problems.contains { $0.path.hasSuffix("cccc0000-0000-4000-8000-000000000003.json") })
        let missing = try #require(problems.first { $0.path.hasSuffix("dddd0000-0000-4000-8000-000000000004.json") })
        #expect(
            missing.reason == "a failed job needs its exit code or a reason at exit_code",
            "which field, not a DecodingError dump")
    }

    /// A record far larger than any p writes (100 MB) is reported without being decoded,
    /// which took seconds and gigabytes; the others are listed.
    @Test func aHugeRecordIsReportedNotRead() throws {
        try store.save(record("aaaa0000-0000-4000-8000-000000000001"))
        let huge = store.path(of: "eeee0000-0000-4000-8000-000000000005")
        #expect(FileManager.default.createFile(atPath: huge, contents: nil))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: huge))
        try handle.truncate(atOffset: 100 << 20)
        try handle.close()
        let (records, problems) = store.loadAll()
        #expect(records.map(\.id) == ["aaaa0000-0000-4000-8000-000000000001"])
        #expect(problems.count == 1 && problems[0].reason.contains("larger than any record p writes"), "\(problems)")
    }

    /// A change worked out from an earlier read (a reconcile) never brings back a record
    /// another process removed meanwhile; a record there is replaced.
    @Test func anUpdateNeverBringsBackARemovedRecord() throws {
        var original = record("aaaa0000-0000-4000-8000-000000000001")
        try store.save(original)
        original.status = .done(endedAt: nil)
        #expect(try store.update(original))
        #expect(try store.load(original.id)?.status == .done(endedAt: nil))
        // A finished job does not go back to running, or to unknown, on a stale change.
        var stale = original
        stale.status = .unknown(reason: "its files on the worker are gone")
        #expect(try !store.update(stale))
        #expect(try store.load(original.id)?.status == .done(endedAt: nil))
        try store.remove(original.id)
        #expect(try !store.update(original))
        #expect(try store.load(original.id) == nil)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: store.directory)
        #expect(leftovers.isEmpty, "no temporary file left: \(leftovers)")
    }

    /// A retired job of a client key leaves a tombstone with its request; others none.
    @Test func aRetiredKeyedJobLeavesATombstone() throws {
        var keyed = record("aaaa0000-0000-4000-8000-000000000001")
        keyed.clientKey = "k"
        keyed.keyedRequest = "v1 a b c d e"
        try store.save(keyed)
        try store.retire(keyed)
        #expect(try store.load(keyed.id) == nil)
        #expect(store.tombstone(keyed.id) == "v1 a b c d e")
        #expect(store.ids().isEmpty, "a tombstone is no record")
        let plain = record("bbbb0000-0000-4000-8000-000000000002")
        try store.save(plain)
        try store.retire(plain)
        #expect(store.tombstone(plain.id) == nil)
        store.removeOldTombstones(now: Date().addingTimeInterval(JobStore.tombstoneLife + 60))
        #expect(store.tombstone(keyed.id) == nil)
    }

    @Test func commandsBeyondTheLimitAreRefused() throws {
        #expect(throws: RemoteJobsError.self) {
            try JobRequest.checkCommand(String(repeating: "x", count: JobRequest.maxCommandBytes + 1))
        }
        #expect(throws: RemoteJobsError.self) { try JobRequest.checkCommand("echo a\u{0}b") }
        try JobRequest.checkCommand(String(repeating: "x", count: JobRequest.maxCommandBytes))
        // The longest command's record, escaped at its worst, is still read.
        let longest = String(repeating: "\u{1}", count: JobRequest.maxCommandBytes)
        var big = record("ffff0000-0000-4000-8000-000000000006")
        big.command = longest
        try store.save(big)
        #expect(try store.load(big.id)?.command == longest)
    }

    @Test func aCorruptRecordIsAnErrorOfThisLibrary() async throws {
        let id = "eeee0000-0000-4000-8000-000000000005"
        try FileManager.default.createDirectory(atPath: store.directory, withIntermediateDirectories: true)
        try Data("{\"id\": ".utf8).write(to: URL(fileURLWithPath: store.path(of: id)))
        let engine = JobEngine(
            paths: PPaths(configDirectory: directory + "/config", dataDirectory: directory + "/data"))
        #expect {
            try engine.record("eeee")
        } throws: { error in
            guard case .corruptRecord(let path, _) = error as? RemoteJobsError else { return false }
            return path == store.path(of: id)
        }
        await engine.close()
    }

    @Test func prefixesResolve() throws {
        try store.save(record("abcd1234-0000-4000-8000-000000000001"))
        try store.save(record("abcd5678-0000-4000-8000-000000000002"))
        #expect(try store.resolve("abcd1") == "abcd1234-0000-4000-8000-000000000001")
        #expect(try store.resolve("ABCD5") == "abcd5678-0000-4000-8000-000000000002")
        #expect(
            throws: RemoteJobsError.ambiguousJob(
                prefix: "abcd",
                candidates: [
                    "abcd1234-0000-4000-8000-000000000001", "abcd5678-0000-4000-8000-000000000002",
                ])
        ) { try store.resolve("abcd") }
        #expect(throws: RemoteJobsError.unknownJob(prefix: "ffff")) { try store.resolve("ffff") }
        #expect(throws: RemoteJobsError.invalidJobID("abc")) { try store.resolve("abc") }
        #expect(throws: RemoteJobsError.invalidJobID("../../etc")) { try store.resolve("../../etc") }
    }

    @Test func concurrentWritersNeverTearARecord() async throws {
        let id = "eeee0000-0000-4000-8000-000000000005"
        let store = self.store
        let base = record(id)
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<50 {
                group.addTask {
                    var copy = base
                    copy.command = String(repeating: "x", count: index * 997)
                    try? store.save(copy)
                }
            }
        }
        let loaded = try #require(try store.load(id))
        #expect(loaded.command.allSatisfy { $0 == "x" })
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: store.directory).filter {
            $0.hasSuffix(".partial")
        }
        #expect(leftovers.isEmpty)
    }
}

@Suite("Record dates")
struct RecordDatesTests {
    @Test func parseMatchesFoundation() throws {
        for seconds in [0, 951_782_400, 1_700_000_000, 1_795_441_808, 4_102_444_799] {
            let date = Date(timeIntervalSince1970: TimeInterval(seconds))
            let text = RecordDates.format(date)
            #expect(text == ISO8601DateFormatter().string(from: date).dropLast() + ".000Z")
            #expect(RecordDates.parse(text) == date)
            #expect(RecordDates.parse(ISO8601DateFormatter().string(from: date)) == date)
        }
        let precise = Date(timeIntervalSince1970: 1_795_441_808.123)
        #expect(RecordDates.format(precise) == "2026-11-23T13:50:08.123Z")
        #expect(abs(RecordDates.parse("2026-11-23T13:50:08.123Z")!.timeIntervalSince(precise)) < 0.000_001)
        for bad in ["2026-11-23", "2026-13-01T00:00:00Z", "2026-11-23T13:50:08+01:00", "x026-11-23T13:50:08Z"] {
            #expect(RecordDates.parse(bad) == nil, "\(bad)")
        }
    }
}
