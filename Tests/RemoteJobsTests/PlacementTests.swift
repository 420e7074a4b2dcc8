import Foundation
import Testing

@testable import RemoteJobs

@Suite("Placement, labels and slots")
struct PlacementTests {
    func worker(_ name: String, slots: Int? = nil) -> Worker {
        Worker(name: name, connection: name, labels: ["gpu"], slots: slots)
    }

    func load(cpus: Int = 4, average: Double = 0, memory: UInt64 = 8 << 30, running: Int = 0, queued: Int = 0)
        -> WorkerLoad
    {
        WorkerLoad(cpus: cpus, loadAverage: average, availableMemory: memory, runningJobs: running, queuedJobs: queued)
    }

    func order(_ answers: [(worker: Worker, load: WorkerLoad)]) -> [String] {
        Placement.rank(answers).map(\.worker.name)
    }

    /// A worker holding the directory's last sync wins a tie of load and p's jobs over one
    /// with more free memory, but never a lower load or fewer jobs; `reason` says so.
    @Test func theLastSyncsWorkerBreaksATie() {
        let answers = [(worker("a"), load(memory: 4 << 30)), (worker("b"), load(memory: 1 << 30))]
        #expect(Placement.rank(answers, holdingLastSync: ["b"]).map(\.worker.name) == ["b", "a"])
        #expect(Placement.rank(answers).map(\.worker.name) == ["a", "b"])
        let lighter = [(worker("a"), load(average: 0.1)), (worker("b"), load(average: 2))]
        #expect(Placement.rank(lighter, holdingLastSync: ["b"]).map(\.worker.name) == ["a", "b"])
        let fewerJobs = [(worker("a"), load(running: 0)), (worker("b"), load(running: 1))]
        #expect(Placement.rank(fewerJobs, holdingLastSync: ["b"]).map(\.worker.name) == ["a", "b"])
        let placement = Placement(
            worker: worker("b"), ranked: Placement.rank(answers, holdingLastSync: ["b"]), skipped: [],
            holdingLastSync: ["b"])
        #expect(placement.reason.contains("holds this directory's last sync"), "\(placement.reason)")
    }

    /// Among many workers, those holding the last sync are in the first wave.
    @Test func theLastSyncsWorkersAreProbedFirst() async {
        let workers = (0..<40).map { worker("w\($0)") }
        let probed = ProbeLog()
        let search = await Placement.search(workers, gpus: 0, preferred: ["w33", "w7"]) { worker in
            probed.add(worker.name)
            return load()
        }
        #expect(search.answered.count == Placement.wave, "one wave: every worker can start the job")
        #expect(Set(search.answered.map(\.worker.name)).isSuperset(of: ["w33", "w7"]))
        #expect(Set(probed.names).isSuperset(of: ["w33", "w7"]))
    }

    final class ProbeLog: @unchecked Sendable {
        // Guarded by `lock`: probes run concurrently.
        private let lock = NSLock()
        private var all: [String] = []
        func add(_ name: String) { lock.withLock { all.append(name) } }
        var names: [String] { lock.withLock { all } }
    }

    @Test func aFreeSlotComesFirstThenLoadThenJobsThenMemory() {
        #expect(
            order([(worker("full", slots: 1), load(running: 1)), (worker("busy"), load(average: 3.9))]) == [
                "busy", "full",
            ])
        #expect(order([(worker("a"), load(average: 2)), (worker("b"), load(average: 0.1))]) == ["b", "a"])
        #expect(
            order([(worker("a"), load(cpus: 32, average: 4)), (worker("b"), load(cpus: 2, average: 1))]) == ["a", "b"])
        // Loads within the noise: p's own jobs decide, then memory, then the configuration's order.
        #expect(
            order([(worker("a"), load(average: 0.41, running: 2)), (worker("b"), load(average: 0.40))]) == ["b", "a"])
        #expect(order([(worker("a"), load(memory: 1 << 30)), (worker("b"), load(memory: 2 << 30))]) == ["b", "a"])
        #expect(order([(worker("a"), load()), (worker("b"), load())]) == ["a", "b"])
        // Without a free slot anywhere, the shortest queue.
        #expect(
            order([
                (worker("a", slots: 1), load(running: 1, queued: 5)),
                (worker("b", slots: 2), load(running: 2, queued: 1)),
            ])
                == ["b", "a"])
    }

    @Test func theLoadAnswerParsesDefensively() {
        let load = LoadScript.parse("cpus 8\nload 1.50\nmem 2048\nrunning 3\nqueued 1\n")
        #expect(load == WorkerLoad(cpus: 8, loadAverage: 1.5, availableMemory: 2 << 20, runningJobs: 3, queuedJobs: 1))
        #expect(LoadScript.parse("cpus 2\nload -\nmem -\nrunning 0\nqueued 0\n")?.loadAverage == nil)
        #expect(LoadScript.parse("cpus 2\ngpus 4 1\n").map { [$0.gpus, $0.freeGPUs] } == [4, 1])
        #expect(LoadScript.parse("load 1\n") == nil)
        #expect(LoadScript.parse("cpus 0\n") == nil)
        #expect(LoadScript.parse("cpus 2\nload nan\n")?.loadAverage == nil)
    }

    /// The dashboard's detail: total memory and each GPU; a GPU that cannot say ([N/A]) or a
    /// line cut short is left out, never guessed.
    @Test func theDetailedLoadParsesEachGPU() {
        let load = LoadScript.parse(
            "cpus 8\nmem 1024\nmemtotal 4096\ngpus 3 1\ngpu 0 45 3100 16384\ngpu 1 [N/A] 10 16384\ngpu 2 0 0\ngpu 3 100 80000 81920\n"
        )
        #expect(load?.totalMemory == 4096 * 1024 && load?.availableMemory == 1024 * 1024)
        #expect(
            load?.gpuUse == [
                GPUUse(index: 0, utilization: 45, memoryUsedMiB: 3100, memoryTotalMiB: 16384),
                GPUUse(index: 3, utilization: 100, memoryUsedMiB: 80000, memoryTotalMiB: 81920),
            ])
        #expect(LoadScript.parse("cpus 1\n")?.gpuUse == [] && LoadScript.parse("cpus 1\n")?.totalMemory == nil)
    }

    @Test func labelsAndSlotsChangeAndRoundTrip() throws {
        var config = WorkerConfig()
        try config.register(Worker(name: "a", connection: "a"))
        try config.change("a", addLabels: ["gpu", "big", "gpu"], slots: .some(2))
        #expect(config.workers[0].labels == ["gpu", "big"] && config.workers[0].slots == 2)
        try config.change("a", removeLabels: ["big"], slots: .some(nil))
        #expect(config.workers[0].labels == ["gpu"] && config.workers[0].slots == nil)
        #expect(throws: RemoteJobsError.self) { try config.change("a", addLabels: ["no spaces"]) }
        #expect(throws: RemoteJobsError.self) { try config.change("a", slots: .some(0)) }
        #expect(throws: RemoteJobsError.self) { try config.change("b", addLabels: ["x"]) }
        #expect(config.workers(labelled: "gpu").map(\.name) == ["a"])
        let worker = Worker(name: "w", connection: "c", labels: ["x"], slots: 3)
        let decoded = try JSONDecoder().decode(Worker.self, from: JSONEncoder().encode(worker))
        #expect(decoded == worker)
        let old = try JSONDecoder().decode(Worker.self, from: Data(#"{"name":"o","connection":"c"}"#.utf8))
        #expect(old.labels.isEmpty && old.slots == nil && old.maxLog == nil)
    }

    @Test func theLogCapIsSetReadAsASizeAndRemoved() throws {
        var config = WorkerConfig()
        try config.register(Worker(name: "a", connection: "a"))
        try config.change("a", maxLog: .some(100 << 20))
        #expect(config.workers[0].maxLog == 100 << 20)
        let encoded = try JSONEncoder().encode(config.workers[0])
        #expect(String(decoding: encoded, as: UTF8.self).contains(#""max_log":"100 MB""#))
        #expect(try JSONDecoder().decode(Worker.self, from: encoded).maxLog == 100 << 20)
        let typed = #"{"name":"t","connection":"c","max_log":"1.5G"}"#
        #expect(try JSONDecoder().decode(Worker.self, from: Data(typed.utf8)).maxLog == 3 << 29)
        let bytes = #"{"name":"t","connection":"c","max_log":65536}"#
        #expect(try JSONDecoder().decode(Worker.self, from: Data(bytes.utf8)).maxLog == 65536)
        let bad = #"{"name":"t","connection":"c","max_log":"lots"}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Worker.self, from: Data(bad.utf8)) }
        #expect(throws: RemoteJobsError.self) { try config.change("a", maxLog: .some(1000)) }
        try config.change("a", maxLog: .some(nil))
        #expect(config.workers[0].maxLog == nil)
    }

    /// Records which workers a placement asked, answering from a table.
    actor Probes {
        var asked: [String] = []
        func ask(_ name: String) { asked.append(name) }
    }

    @Test func aPlacementAmongManyProbesOneWaveWhenItFindsAFreeWorker() async {
        let workers = (0..<50).map { worker("w\($0)", slots: 2) }
        let probes = Probes()
        let search = await Placement.search(workers, gpus: 0, shuffle: { $0.reversed() }) { worker in
            await probes.ask(worker.name)
            return self.load()
        }
        let asked = await probes.asked
        #expect(asked.count == Placement.wave)
        #expect(Set(asked) == Set((50 - Placement.wave..<50).map { "w\($0)" }))
        #expect(search.answered.count == Placement.wave)
    }

    @Test func fullWavesAndUnreachableWorkersLeadToTheNextWave() async {
        let workers = (0..<40).map { worker("w\($0)", slots: 1) }
        let probes = Probes()
        // Only w35 has a free slot; w1 does not answer.
        let search = await Placement.search(workers, gpus: 0, shuffle: { $0 }) { worker in
            await probes.ask(worker.name)
            if worker.name == "w1" { throw RemoteJobsError.invalidArgument("unreachable") }
            return worker.name == "w35" ? self.load() : self.load(running: 1)
        }
        #expect(await probes.asked.count == 40)
        #expect(search.skipped.map(\.worker) == ["w1"])
        #expect(Placement.rank(search.answered).first?.worker.name == "w35")
    }

    @Test func aGPURequestLooksOnUntilAWorkerHasTheGPUsFree() async {
        let workers = (0..<20).map { worker("w\($0)") }
        let search = await Placement.search(workers, gpus: 2, shuffle: { $0 }) { worker in
            var answer = self.load()
            answer.gpus = 2
            answer.freeGPUs = worker.name == "w17" ? 2 : 1
            return answer
        }
        #expect(search.answered.count == 20)
        #expect(search.answered.filter { $0.load.freeGPUs >= 2 }.map(\.worker.name) == ["w17"])
    }

    @Test func upToSixteenWorkersAreAllProbedInTheirOrder() async {
        let workers = (0..<Placement.probeAllUpTo).map { worker("w\($0)") }
        let probes = Probes()
        _ = await Placement.search(
            workers, gpus: 0,
            shuffle: { _ in
                Issue.record("shuffled")
                return []
            }
        ) {
            await probes.ask($0.name)
            return self.load()
        }
        #expect(Set(await probes.asked) == Set((0..<Placement.probeAllUpTo).map { "w\($0)" }))
    }
}
