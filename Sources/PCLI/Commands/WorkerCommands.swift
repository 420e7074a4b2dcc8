import ArgumentParser
import Foundation
import RemoteJobs
import SSHTransport

/// `p worker ...`: manage the registered workers.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Register, list, check and remove workers.",
        subcommands: [Register.self, ListWorkers.self, RemoveWorker.self, DefaultWorker.self]
    )

    struct Register: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a worker after connecting once to check its host key and the login.",
            discussion: """
                The connection is `user@host`, `user@host:port`, `host`, or an alias from \
                ~/.ssh/config. An unknown host key is shown for confirmation on a terminal; \
                without one, pass --accept-new-host-key. The first worker becomes the default.
                """
        )

        @Argument(help: "user@host, user@host:port, host, or an ~/.ssh/config alias.")
        var connection: String

        @Option(name: [.short, .customLong("name")], help: "The worker's name (default: the host name).")
        var name: String?

        @Option(help: "Where p keeps its files on the worker (default: ~/.p).")
        var root: String?

        @Flag(help: "Record an unknown host key without asking.")
        var acceptNewHostKey = false

        func run() async throws {
            try await reportingErrors {
                let workerName = try name ?? Self.defaultName(connection)
                let engine = EngineFactory.make(hostKeys: acceptNewHostKey ? .acceptNew : .askOnTerminal)
                defer { Task { await engine.close() } }
                let probe = try await engine.register(Worker(name: workerName, connection: connection, root: root))
                let config = try engine.workers.load()
                print(
                    "registered worker '\(workerName)' (\(connection))\(config.defaultWorker == workerName ? ", the default" : "")"
                )
                print("  system: \(probe.system) \(probe.architecture), shell \(probe.shell)")
                print("  sync:   tar \(probe.tar ?? "not installed"), rsync \(probe.rsync ?? "not installed")")
                for note in probe.missing { print("  note:   \(note)") }
                return 0
            }
        }

        static func defaultName(_ connection: String) throws -> String {
            let target = try SSHTarget.resolve(connection)
            let name = target.alias.replacingOccurrences(of: ":", with: "-")
            guard Worker.isValidName(name) else { throw RemoteJobsError.invalidWorkerName(name) }
            return name
        }
    }

    struct ListWorkers: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ls", abstract: "List the workers; --check also connects to each, in parallel.")

        @Flag(name: [.short, .long], help: "Connect to every worker and report reachability and latency.")
        var check = false

        @Flag(help: "Print JSON.")
        var json = false

        func run() async throws {
            try await reportingErrors {
                let engine = EngineFactory.make(connectTimeout: .seconds(5))
                defer { Task { await engine.close() } }
                let config = try engine.workers.load()
                guard !config.workers.isEmpty else {
                    Report.note("no workers yet; register one with `p worker register user@host`")
                    return 0
                }
                let checks = check ? try await engine.check() : nil
                let anyUnreachable = (checks ?? []).contains { $0.failure != nil }
                if json {
                    print(try Self.json(config, checks))
                    return anyUnreachable ? 255 : 0
                }
                var columns: [Table.Column] = [
                    .init(title: "NAME"), .init(title: "CONNECTION", flexible: true), .init(title: "DEFAULT"),
                ]
                if check { columns += [.init(title: "REACHABLE"), .init(title: "CONNECT"), .init(title: "LATENCY")] }
                let rows = config.workers.enumerated().map { index, worker in
                    var row = [worker.name, worker.connection, worker.name == config.defaultWorker ? "*" : ""]
                    if let result = checks?[index] {
                        row += [
                            result.failure == nil ? "yes" : "no",
                            result.connectTime.map { String(format: "%.0f ms", Self.milliseconds($0)) } ?? "-",
                            result.roundTrip.map { String(format: "%.0f ms", Self.milliseconds($0)) } ?? "-",
                        ]
                    }
                    return row
                }
                print(
                    Table(columns: columns, rows: rows).render(width: JobFormatting.terminalWidth).joined(
                        separator: "\n"))
                for result in checks ?? [] where result.failure != nil {
                    Report.error("worker '\(result.worker.name)': \(result.failure!)")
                }
                return anyUnreachable ? 255 : 0
            }
        }

        static func milliseconds(_ duration: Duration) -> Double {
            (Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15).rounded()
        }

        static func json(_ config: WorkerConfig, _ checks: [WorkerCheck]?) throws -> String {
            let entries: [[String: Any]] = config.workers.enumerated().map { index, worker in
                var entry: [String: Any] = [
                    "name": worker.name, "connection": worker.connection,
                    "default": worker.name == config.defaultWorker,
                ]
                if let root = worker.root { entry["root"] = root }
                if let check = checks?[index] {
                    entry["reachable"] = check.failure == nil
                    if let time = check.connectTime { entry["connect_ms"] = milliseconds(time) }
                    if let time = check.roundTrip { entry["latency_ms"] = milliseconds(time) }
                    if let failure = check.failure { entry["error"] = failure }
                }
                return entry
            }
            let data = try JSONSerialization.data(withJSONObject: entries, options: [.prettyPrinted, .sortedKeys])
            return String(decoding: data, as: UTF8.self)
        }
    }

    struct RemoveWorker: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rm", abstract: "Unregister a worker (refused while it has running jobs).")

        @Argument(help: "The worker's name.")
        var name: String

        func run() async throws {
            try await reportingErrors {
                let engine = EngineFactory.make(connectTimeout: .seconds(5))
                defer { Task { await engine.close() } }
                try await engine.unregister(name)
                print("removed worker '\(name)'")
                return 0
            }
        }
    }

    struct DefaultWorker: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "default", abstract: "Make a worker the default one.")

        @Argument(help: "The worker's name.")
        var name: String

        func run() async throws {
            try await reportingErrors {
                let store = WorkerStore(paths: PPaths())
                try store.update { config throws(RemoteJobsError) in try config.setDefault(name) }
                print("default worker: \(name)")
                return 0
            }
        }
    }
}
