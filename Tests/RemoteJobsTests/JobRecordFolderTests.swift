import Foundation
import Testing

@testable import RemoteJobs

/// `JobRecordFolder`: what changed among the records, from the directory's and the files'
/// stamps, by any writer.
@Suite("The records' folder, watched")
struct JobRecordFolderTests {
    let directory = NSTemporaryDirectory() + "p-folder-\(UUID().uuidString)"
    var paths: PPaths { PPaths(configDirectory: directory + "/config", dataDirectory: directory + "/data") }

    func record(_ number: Int, status: JobStatus = .running) -> JobRecord {
        JobRecord(
            id: "0b6d3c1e-0000-4000-8000-00000000000\(number)", worker: "w", connection: "me@host", root: ".p",
            command: "sleep \(number)", cwd: "/",
            submittedAt: Date(timeIntervalSince1970: 1_700_000_000 + Double(number)),
            status: status)
    }

    @Test func reportsEachWriteAndRemovalOnceAndNothingWhileNothingChanged() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = JobStore(paths: paths)
        let folder = JobRecordFolder(engine: JobEngine(paths: paths))
        #expect(await folder.changes().isEmpty, "no directory yet")
        try store.save(record(1))
        try store.save(record(2))
        let first = await folder.changes()
        #expect(first.changed.map(\.command) == ["sleep 1", "sleep 2"] && first.removed.isEmpty)
        #expect(await folder.changes().isEmpty)

        // A change by another writer (a record replaced), a removal, a new record, a corrupt file.
        try store.update(record(1, status: .done(endedAt: Date(timeIntervalSince1970: 1_700_000_100))))
        try store.remove(record(2).id)
        try store.save(record(3))
        try Data("{ not json".utf8).write(to: URL(fileURLWithPath: store.path(of: record(4).id)))
        let second = await folder.changes()
        #expect(second.changed.map(\.command) == ["sleep 1", "sleep 3"])
        #expect(second.changed.first?.status.name == "done")
        #expect(second.removed == [record(2).id])
        #expect(second.problems.count == 1 && second.problems[0].path.hasSuffix(record(4).id + ".json"))
        #expect(await folder.changes().isEmpty, "a corrupt file is reported once, until it changes")
    }
}
