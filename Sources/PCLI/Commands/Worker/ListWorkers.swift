import ArgumentParser
import Foundation
import RemoteJobs

extension WorkerCommand {
    /// `p worker ls [--check] [--json]`.
    struct ListWorkers: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ls", abstract: "List the workers; --check also connects to each, in parallel.")

        @Flag(name: [.short, .long], help: "Connect to every worker and report reachability and latency.")
        var check = false

        @Flag(help: "Print JSON.")
        var json = false

        func run() async throws {
            try await reportingErrors {
                return try await EngineFactory.withEngine(connectTimeout: .seconds(5)) { engine in
                    let config = try await engine.loadWorkers()
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
                        .init(title: "NAME"), .init(title: "CONNECTION", flexible: true), .init(title: "KIND"),
                        .init(title: "LABELS"), .init(title: "SLOTS"), .init(title: "DEFAULT"),
                    ]
                    if check {
                        columns += [.init(title: "REACHABLE"), .init(title: "CONNECT"), .init(title: "LATENCY")]
                    }
                    let rows = config.workers.enumerated().map { index, worker in
                        var row = [
                            worker.name, worker.connection, worker.kind.rawValue,
                            worker.labels.isEmpty ? "-" : worker.labels.joined(separator: ","),
                            worker.slots.map(String.init) ?? "-", worker.name == config.defaultWorker ? "*" : "",
                        ]
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
                        Report.error("\(result.failure!)")
                    }
                    return anyUnreachable ? 255 : 0
                }
            }
        }

        static func milliseconds(_ duration: Duration) -> Double {
            (duration.inSeconds * 1000).rounded()
        }

        static func json(_ config: WorkerConfig, _ checks: [WorkerCheck]?) throws -> String {
            let entries: [[String: Any]] = config.workers.enumerated().map { index, worker in
                var entry: [String: Any] = [
                    "name": worker.name, "connection": worker.connection, "kind": worker.kind.rawValue,
                    "default": worker.name == config.defaultWorker,
                ]
                if !worker.sbatchOptions.isEmpty { entry["sbatch_options"] = worker.sbatchOptions }
                entry["labels"] = worker.labels
                if let slots = worker.slots { entry["slots"] = slots }
                if let cap = worker.maxLog { entry["max_log"] = cap }
                if let root = worker.root { entry["root"] = root }
                if let check = checks?[index] {
                    entry["reachable"] = check.failure == nil
                    if let time = check.connectTime { entry["connect_ms"] = milliseconds(time) }
                    if let time = check.roundTrip { entry["latency_ms"] = milliseconds(time) }
                    if let failure = check.failure { entry["error"] = "\(failure)" }
                }
                return entry
            }
            let data = try JSONSerialization.data(withJSONObject: entries, options: [.prettyPrinted, .sortedKeys])
            return String(decoding: data, as: UTF8.self)
        }
    }
}
