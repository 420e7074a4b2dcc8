import Foundation
import MCP
import Testing

@testable import JobServer
@testable import RemoteJobs

/// The server's log messages tell a job's end once, however many times it is seen (in the
/// record a follow gets, and again through the watch).
@Suite("The MCP server's log messages")
struct JobLogReporterTests {
    @Test func anEndSeenTwiceIsToldOnce() async throws {
        let directory = NSTemporaryDirectory() + "p-reporter-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let engine = JobEngine(
            paths: PPaths(configDirectory: directory + "/config", dataDirectory: directory + "/data"))
        let reporter = JobLogReporter(hub: JobWatchHub(engine: engine))
        let ended = JobRecord(
            id: "0b6d3c1e-0000-4000-8000-000000000001", worker: "w", connection: "w", root: ".p", command: "exit 3",
            cwd: "/", status: .failed(exitCode: 3, endedAt: Date()))
        let other = JobRecord(
            id: "0b6d3c1e-0000-4000-8000-000000000002", worker: "w", connection: "w", root: ".p", command: "true",
            cwd: "/", status: .done(endedAt: Date()))
        await reporter.ended(ended)
        await reporter.ended(ended)
        await reporter.ended(other)
        // Messages keep their order: a second line for the first job would come before the
        // other job's, which is read last.
        let (lines, line) = AsyncStream<String>.makeStream()
        let reading = Task { await reporter.run { _, text in line.yield(text) } }
        defer { reading.cancel() }
        var told: [String] = []
        for await text in lines {
            told.append(text)
            if text.contains(other.id) { break }
        }
        #expect(told == ["job \(ended.id) ended: exit 3", "job \(other.id) ended: exit 0"])
    }
}
