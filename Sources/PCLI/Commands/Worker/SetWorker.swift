import ArgumentParser
import RemoteJobs

extension WorkerCommand {
    /// `p worker set NAME [--label L]... [--remove-label L]... [--slots N | --no-slots]
    /// [--max-log SIZE | --no-max-log] [--spare-copies | --no-spare-copies]`.
    struct SetWorker: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set", abstract: "Change a worker's labels, slots, default log cap and spare copies.",
            discussion: """
                Labels group workers for placement: `p @gpu -- cmd` runs on the least busy \
                worker labelled gpu. Slots bound how many of p's jobs run on the worker at \
                once; more wait in a queue on the worker and start in order as slots free. \
                The log cap is what jobs that give no --max-log get. Spare copies (on by \
                default): each fresh work directory just synced is copied on the worker while \
                its job runs, so the next sync from the same directory takes the copy by a \
                rename and sends only what changed; it costs one more copy of the tree on the \
                worker's disk.

                Examples:
                  p worker set beefy --label gpu --label big
                  p worker set beefy --remove-label big --slots 2
                  p worker set beefy --max-log 100M
                  p worker set small-disk --no-spare-copies
                """)

        @Argument(help: "The worker's name.")
        var name: String

        @Option(name: .customLong("label"), help: "Add a label (repeatable).")
        var labels: [String] = []

        @Option(name: .customLong("remove-label"), help: "Remove a label (repeatable).")
        var removedLabels: [String] = []

        @Option(help: "How many of p's jobs may run on it at once.")
        var slots: Int?

        @Flag(help: "No limit on the jobs running at once.")
        var noSlots = false

        @Option(
            help: ArgumentHelp(
                "Cap each log of the jobs that give no --max-log (10M, 1G; at least 64K).", valueName: "size"),
            transform: { try ByteSize.parse($0) })
        var maxLog: UInt64?

        @Flag(help: "Jobs' logs are not capped unless they give --max-log.")
        var noMaxLog = false

        @Flag(
            inversion: .prefixedNo,
            help: "Make a spare copy of each synced work directory for the next sync (the default), or not.")
        var spareCopies: Bool?

        func validate() throws {
            if slots != nil && noSlots { throw ValidationError("Give --slots or --no-slots, not both.") }
            if maxLog != nil && noMaxLog { throw ValidationError("Give --max-log or --no-max-log, not both.") }
            if let slots, slots < 1 { throw ValidationError("--slots must be at least 1.") }
            if labels.isEmpty && removedLabels.isEmpty && slots == nil && !noSlots && maxLog == nil && !noMaxLog
                && spareCopies == nil
            {
                throw ValidationError(
                    "Nothing to change: give --label, --remove-label, --slots, --no-slots, --max-log, --no-max-log, --spare-copies or --no-spare-copies."
                )
            }
        }

        func run() async throws {
            try await reportingErrors {
                try await EngineFactory.withEngine { engine in
                    try await engine.changeWorker(
                        name, addLabels: labels, removeLabels: removedLabels,
                        slots: noSlots ? .some(nil) : slots.map { .some($0) },
                        maxLog: noMaxLog ? .some(nil) : maxLog.map { .some($0) }, spareCopies: spareCopies)
                    let worker = try await engine.loadWorkers().worker(named: name)
                    print(
                        "\(name): labels \(worker.labels.isEmpty ? "none" : worker.labels.joined(separator: ", ")), slots \(worker.slots.map(String.init) ?? "no limit"), log cap \(worker.maxLog.map(ByteSize.format) ?? "none"), spare copies \(worker.spareCopies ? "on" : "off")"
                    )
                    return 0
                }
            }
        }
    }
}
