import Foundation
import Synchronization
import Testing

@testable import RemoteJobs

/// A bounded soak: several clients submit (with keys, retried after failures), pause and
/// resume, stop, prune, wait and list at random, against two workers with slots and a
/// queue, through a proxy that resets every connection now and then. At the end every job
/// is accounted for: no command ran twice, none is lost (every run belongs to a job p
/// knows), none is stuck (every job ended, the queues are empty), and every exit code is
/// the command's. The seed is printed with any failure; `P_SOAK_SEED` replays one.
@Suite("Soak: many clients, slots, a queue and resets", .timeLimit(.minutes(10)), .throttled)
struct SoakTests {
    /// A deterministic generator (SplitMix64), so a failing run can be replayed.
    struct Seeded: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// What a client asked of one job, and what it learned.
    struct Submitted: Sendable {
        var token: String
        var worker: String
        var code: Int32
        var id: String?
        /// The job it runs after, with `--after` (so it runs only if that one succeeded).
        var after: String?
        /// A `p stop` for it answered (stopped), or may have reached it (cut off).
        var stopped = false
        /// The command line of its submit, as retried.
        var arguments: [String] = []
        /// Its submits all failed, and it could not be submitted again: it must not have run.
        var neverSubmitted = false
        /// What each submit of it said, for the report of a command run twice.
        var attempts: [String] = []
    }

    /// Everything the clients did, shared by them.
    final class Ledger: Sendable {
        private let jobs = Mutex<[String: Submitted]>([:])
        private let pruned = Mutex<[String: String]>([:])
        private let cut = Mutex(0)

        /// A p that the connection failed (exit 255), to see that the resets bit.
        func noteCut() { cut.withLock { $0 += 1 } }
        var cuts: Int { cut.withLock { $0 } }

        func add(_ job: Submitted) { jobs.withLock { $0[job.token] = job } }
        func update(_ token: String, _ change: (inout Submitted) -> Void) {
            jobs.withLock {
                if var job = $0[token] {
                    change(&job)
                    $0[token] = job
                }
            }
        }
        var all: [Submitted] { jobs.withLock { Array($0.values) } }
        /// Statuses `p prune` printed as it removed them, by short id.
        func notePruned(_ short: String, _ status: String) { pruned.withLock { $0[short] = status } }
        var prunedStatuses: [String: String] { pruned.withLock { $0 } }
    }

    @Test func everyJobIsAccountedFor() async throws {
        let seed =
            ProcessInfo.processInfo.environment["P_SOAK_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 1...UInt64.max)
        let world = try await JobWorld.make()
        let proxy = try FaultProxy(targetPort: world.sshd.port)
        defer { proxy.stop() }
        let config = try String(contentsOfFile: world.sshConfigFile, encoding: .utf8)
        try
            (config
            + JobWorld.hostBlock(name: "flaky", sshd: world.sshd, port: proxy.port, extra: "    ConnectTimeout 5"))
            .write(toFile: world.sshConfigFile, atomically: true, encoding: .utf8)
        let roots = ["w1": world.root + "-w1", "w2": world.root + "-w2"]
        try await world.store.update { config throws(RemoteJobsError) in
            try config.register(Worker(name: "w1", connection: "flaky", root: roots["w1"], labels: ["soak"], slots: 2))
            try config.register(Worker(name: "w2", connection: "flaky", root: roots["w2"], labels: ["soak"], slots: 1))
            try config.setDefault("w1")
        }
        let runs = world.root + "-runs"
        let ledger = Ledger()
        let chaos = Task {
            var random = Seeded(state: seed ^ 0xC4A0)
            while !Task.isCancelled {
                try await Task.sleep(for: .milliseconds(Int.random(in: 400...1500, using: &random)))
                proxy.resetAll()
            }
        }
        await withTaskGroup(of: Void.self) { group in
            for client in 0..<4 {
                group.addTask {
                    var random = Seeded(state: seed &+ UInt64(client) &* 7919)
                    await Self.client(client, world: world, runs: runs, ledger: ledger, random: &random)
                }
            }
        }
        chaos.cancel()
        let report = try await Self.settle(world: world, runs: runs, roots: roots, ledger: ledger)
        // Whatever the report says, nothing of the soak is left running (or paused) behind.
        for record in world.records.loadAll().records where record.status.isActive {
            _ = try? await world.p("stop", "--signal", "KILL", record.id)
        }
        let ran = try await world.workerText("wc -l < '\(runs)' 2>/dev/null || echo 0")
        print(
            "soak (seed \(seed)): \(ledger.all.count) jobs, \(ran) ran, \(ledger.all.filter(\.stopped).count) stopped, "
                + "\(ledger.prunedStatuses.count) pruned, \(ledger.cuts) submits cut off, \(proxy.accepted) connections through the proxy"
        )
        #expect(report.isEmpty, "seed \(seed) (P_SOAK_SEED replays it):\n\(report.joined(separator: "\n"))")
    }

    /// One client: 40 steps at random.
    static func client(
        _ client: Int, world: JobWorld, runs: String, ledger: Ledger, random: inout Seeded
    ) async {
        var mine: [String] = []
        for step in 0..<40 {
            let roll = Int.random(in: 0..<100, using: &random)
            let known = mine.compactMap { token in ledger.all.first { $0.token == token } }.filter { $0.id != nil }
            do {
                switch roll {
                case 0..<45:
                    let token = "c\(client)-\(step)"
                    let worker = ["w1", "w2", "@soak"].randomElement(using: &random)!
                    let code: Int32 = [0, 0, 1, 3].randomElement(using: &random)!
                    let pause = ["0", "0.2", "0.5", "1"].randomElement(using: &random)!
                    var job = Submitted(token: token, worker: worker, code: code)
                    var arguments = [worker, "-d", "-n", "--key", token]
                    if worker != "@soak", Int.random(in: 0..<4, using: &random) == 0,
                        let dependency = known.filter({ $0.worker == worker }).randomElement(using: &random)
                    {
                        arguments += ["--after", dependency.id!]
                        job.after = dependency.token
                    }
                    // Each run notes where and when it ran, for the report of a command run twice.
                    arguments += [
                        "--", "echo \(token) $PWD $$ $(date +%s.%N) >> '\(runs)'; sleep \(pause); exit \(code)",
                    ]
                    job.arguments = arguments
                    ledger.add(job)
                    mine.append(token)
                    if let id = try await submit(world, arguments, ledger: ledger) {
                        ledger.update(token) { $0.id = id }
                    }
                case 45..<55:
                    guard let job = known.randomElement(using: &random), let id = job.id else { continue }
                    // Cut off, a pause may have reached the worker all the same: resume either way.
                    _ = try await world.p("pause", id)
                    try await retried { try await world.p("resume", id) }
                case 55..<65:
                    guard let job = known.randomElement(using: &random), let id = job.id else { continue }
                    let stopped = try await world.p("stop", "--grace", "2s", id)
                    if stopped.status == 0 || stopped.status == 255 { ledger.update(job.token) { $0.stopped = true } }
                case 65..<75:
                    let pruned = try await world.p("prune")
                    for line in pruned.stdoutText.split(separator: "\n") where line.hasPrefix("removed ") {
                        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                        if fields.count >= 3 { ledger.notePruned(String(fields[1]), String(fields[2])) }
                    }
                case 75..<88:
                    guard let job = known.randomElement(using: &random), let id = job.id else { continue }
                    _ = try await world.p("wait", "--timeout", "3s", id)
                default:
                    _ = try await world.p("ls", "-a")
                }
            } catch {
                // A p that did not finish in time is itself a finding: the report counts jobs.
                continue
            }
        }
    }

    /// Submits with a key, retrying while the connection fails (255): the key makes the
    /// retries one job.
    static func submit(
        _ world: JobWorld, _ arguments: [String], ledger: Ledger? = nil, failure: ((String) -> Void)? = nil
    ) async throws -> String? {
        let token = arguments.firstIndex(of: "--key").map { arguments[$0 + 1] }
        for _ in 0..<6 {
            let result = try await world.p(arguments: arguments)
            if let token {
                let said =
                    "\(Date().timeIntervalSince1970) exit \(result.status) \(result.stdoutText.prefix(36)) \(result.stderr.prefix(300))"
                ledger?.update(token) { $0.attempts.append(said) }
            }
            if result.status == 0 { return result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) }
            failure?("exit \(result.status): \(result.stderr)")
            if result.status != 255 { return nil }
            ledger?.noteCut()
            try await Task.sleep(for: .milliseconds(200))
        }
        return nil
    }

    /// Runs `body` again while it fails on the connection (255).
    static func retried(_ body: () async throws -> PProcess.Result) async throws {
        for _ in 0..<6 where try await body().status == 255 {
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    /// Once the resets stopped: every submit that never got its answer is submitted again
    /// (its key makes it the same job), paused jobs are resumed, every job is waited for;
    /// then the jobs, the runs and the queues are checked. Returns what is wrong.
    static func settle(world: JobWorld, runs: String, roots: [String: String], ledger: Ledger) async throws
        -> [String]
    {
        var problems: [String] = []
        for job in ledger.all where job.id == nil {
            // The same key with the same request: the job it named, if it started.
            var last = ""
            if let id = try await submit(world, job.arguments, ledger: ledger, failure: { last = $0 }) {
                ledger.update(job.token) { $0.id = id }
            } else if last.contains("which ran and was removed since") {
                // It ran, ended and was pruned before the submit that started it was told.
                ledger.update(job.token) { $0.id = JobRequest.jobID(forClientKey: job.token) }
            } else if job.after != nil && last.contains("no job has an id starting with") {
                // What it runs after was pruned meanwhile: it cannot be submitted, and must not have run.
                ledger.update(job.token) { $0.neverSubmitted = true }
            } else {
                problems.append("\(job.token): submitted again after the resets, it still failed: \(last)")
            }
        }
        _ = try await world.p("ls", "-a")
        for record in world.records.loadAll().records where record.status == .paused {
            _ = try await world.p("resume", record.id)
        }
        let ids = ledger.all.compactMap(\.id).filter { (try? world.records.load($0)) != nil }
        if !ids.isEmpty {
            let waited = try await world.p(arguments: ["wait", "--timeout", "120s"] + ids, timeout: .seconds(180))
            if waited.status == 124 { problems.append("stuck: jobs still running 120 s after the resets stopped") }
        }
        let listed = try await world.p("ls", "-a", "--json")
        let records = try JSONSerialization.jsonObject(with: Data(listed.stdoutText.utf8)) as? [[String: Any]] ?? []
        var statusByID: [String: (status: String, code: Int?)] = [:]
        var reasons: [String: String] = [:]
        for record in records {
            guard let id = record["id"] as? String, let status = record["status"] as? String else { continue }
            statusByID[id] = (status, record["exit_code"] as? Int)
            reasons[id] = record["reason"] as? String
        }
        let lines = try await world.workerText("cat '\(runs)' 2>/dev/null").split(separator: "\n").map(String.init)
        var counts: [String: Int] = [:]
        for line in lines { counts[String(line.split(separator: " ").first ?? ""), default: 0] += 1 }
        let jobs = Dictionary(uniqueKeysWithValues: ledger.all.map { ($0.token, $0) })
        for (token, count) in counts {
            if count > 1 {
                let where_ = lines.filter { $0.hasPrefix(token + " ") }.joined(separator: "; ")
                let said = (jobs[token]?.attempts ?? []).joined(separator: " | ")
                problems.append("\(token): ran \(count) times: \(where_); its submits said: \(said)")
            }
            if jobs[token]?.id == nil && jobs[token]?.neverSubmitted != true {
                problems.append("\(token): ran, but no job of p is known for it")
            }
        }
        let pruned = ledger.prunedStatuses
        for job in ledger.all {
            if job.neverSubmitted, counts[job.token, default: 0] != 0 {
                problems.append("\(job.token): never submitted, yet it ran")
            }
            guard let id = job.id else { continue }
            let ran = counts[job.token, default: 0]
            let status: String
            var code: Int?
            if let listed = statusByID[id] {
                (status, code) = listed
            } else if let shown = pruned[String(id.prefix(8))] {
                status = shown
                code = shown == "done" ? 0 : nil
            } else {
                problems.append("\(job.token) (\(id.prefix(8))): its record is gone, and no prune said so")
                continue
            }
            if ["syncing", "queued", "running", "paused"].contains(status) {
                problems.append("\(job.token): still \(status)")
                continue
            }
            // Whether it should have run: what it runs after must have succeeded.
            var dependencyFailed = false
            if let after = job.after, let dependency = jobs[after], let dependencyID = dependency.id {
                let outcome = statusByID[dependencyID]?.status ?? pruned[String(dependencyID.prefix(8))] ?? "?"
                dependencyFailed = outcome != "done"
            }
            if job.stopped {
                if status == "stopped" { continue }
            }
            if dependencyFailed {
                if ran != 0 { problems.append("\(job.token): ran although the job it runs after did not succeed") }
                if status != "failed" && status != "stopped" {
                    problems.append("\(job.token): \(status), though the job it runs after did not succeed")
                }
                continue
            }
            if status == "unknown" && !job.stopped {
                let found = try await world.workerText(
                    "for d in \(roots.values.map { "'\($0)/jobs/\(id)'" }.joined(separator: " ")); do [ -d \"$d\" ] && ls -la \"$d\" && head -c 300 \"$d\"/start \"$d\"/after \"$d\"/output.log 2>/dev/null; done"
                )
                let record = (try? String(contentsOfFile: world.records.path(of: id), encoding: .utf8)) ?? "-"
                problems.append(
                    "\(job.token) (\(id.prefix(8)) on \(job.worker)): unknown (\(reasons[id] ?? "no reason")), ran \(ran) times; on the workers: \(found); record: \(record)"
                )
                continue
            }
            if ran != 1 && !job.stopped {
                let log = try await world.p("logs", id).stdoutText
                problems.append(
                    "\(job.token): ran \(ran) times, \(status); its log: \(log.debugDescription); after \(job.after ?? "-")"
                )
            }
            let expected = job.code == 0 ? "done" : "failed"
            if status != expected && !(job.stopped && status == "stopped") {
                problems.append("\(job.token): \(status), expected \(expected) (exit \(job.code))")
            } else if status == "failed", let code, code != Int(job.code) {
                problems.append("\(job.token): exit \(code), expected \(job.code)")
            }
        }
        for (worker, root) in roots {
            let left = try await world.workerText(
                "ls -A '\(root)/queue' 2>/dev/null; test -e '\(root)/queue.lock' && echo queue.lock")
            if !left.isEmpty { problems.append("\(worker): the queue still holds \(left)") }
        }
        return problems
    }
}
