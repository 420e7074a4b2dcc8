import Foundation
import Testing

@testable import RemoteJobs

@Suite("Worker configuration")
struct WorkerConfigTests {
    func store() -> WorkerStore {
        let directory = NSTemporaryDirectory() + "p-config-\(UUID().uuidString)"
        return WorkerStore(paths: PPaths(configDirectory: directory, dataDirectory: directory + "/data"))
    }

    @Test func readsTheSpecExample() throws {
        let store = store()
        try FileManager.default.createDirectory(
            atPath: (store.path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try """
        default_worker: beefy
        workers:
          - name: beefy
            connection: user@192.168.1.50
          - name: cloud
            connection: user@cloud-host.example.com
            root: /scratch/p
        """.write(toFile: store.path, atomically: true, encoding: .utf8)
        let config = try store.load()
        #expect(config.defaultWorker == "beefy")
        #expect(
            config.workers == [
                Worker(name: "beefy", connection: "user@192.168.1.50"),
                Worker(name: "cloud", connection: "user@cloud-host.example.com", root: "/scratch/p"),
            ])
        #expect(try config.worker(named: nil).name == "beefy")
        #expect(try config.worker(named: "cloud").remoteRoot == "/scratch/p")
    }

    @Test func invalidYAMLSaysWhere() throws {
        let store = store()
        try FileManager.default.createDirectory(
            atPath: (store.path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try "workers:\n  - name: x\n".write(toFile: store.path, atomically: true, encoding: .utf8)
        #expect {
            try store.load()
        } throws: { error in
            guard case RemoteJobsError.configInvalid(_, let reason) = error else { return false }
            return reason.contains("connection")
        }
    }

    /// A root with a newline would reach the worker's scripts cut in two (a queued job's
    /// arguments are kept one per line): refused when registered, and in a hand-edited file.
    @Test func aRootWithAControlCharacterIsRefused() throws {
        var config = WorkerConfig()
        for root in ["/tmp/a\nb", "x\ty", "\u{7F}"] {
            #expect(throws: RemoteJobsError.self) {
                try config.register(Worker(name: "box", connection: "host", root: root))
            }
        }
        #expect(config.workers.isEmpty)
        try config.register(Worker(name: "box", connection: "host", root: "/tmp/with space/ü"))
        let store = store()
        try FileManager.default.createDirectory(
            atPath: (store.path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try "workers:\n  - name: x\n    connection: h\n    root: \"/a\\nb\"\n".write(
            toFile: store.path, atomically: true, encoding: .utf8)
        #expect {
            try store.load()
        } throws: { error in
            guard case RemoteJobsError.configInvalid(_, let reason) = error else { return false }
            return reason.contains("control character")
        }
    }

    @Test func concurrentUpdatesLoseNothing() async throws {
        let store = store()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<16 {
                group.addTask {
                    try await store.update { config throws(RemoteJobsError) in
                        try config.register(Worker(name: "w\(index)", connection: "host\(index)"))
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(Set(try store.load().workers.map(\.name)) == Set((0..<16).map { "w\($0)" }))
    }

    @Test func registerRemoveAndDefault() async throws {
        let store = store()
        #expect(try store.load() == WorkerConfig())
        try await store.update { config throws(RemoteJobsError) in
            try config.register(Worker(name: "a", connection: "a"))
            try config.register(Worker(name: "b", connection: "me@b:2222", root: "~/jobs"))
        }
        var config = try store.load()
        #expect(config.defaultWorker == "a")
        #expect(config.workers[1].remoteRoot == "jobs")
        #expect(throws: RemoteJobsError.workerExists(name: "a")) {
            try config.register(Worker(name: "a", connection: "x"))
        }
        #expect(throws: RemoteJobsError.invalidWorkerName("bad name")) {
            try config.register(Worker(name: "bad name", connection: "x"))
        }
        try config.setDefault("b")
        try config.remove("b")
        #expect(config.defaultWorker == "a")
        #expect(throws: RemoteJobsError.unknownWorker(name: "zz", known: ["a"])) { try config.worker(named: "zz") }
        try config.remove("a")
        #expect(throws: RemoteJobsError.noWorkers) { try config.worker(named: nil) }
    }

    @Test func xdgPaths() {
        let paths = PPaths(environment: ["HOME": "/home/me", "XDG_DATA_HOME": "/data", "XDG_CONFIG_HOME": "relative"])
        #expect(paths.configFile == "/home/me/.config/p/config.yaml")
        #expect(paths.jobsDirectory == "/data/p/jobs")
    }
}
