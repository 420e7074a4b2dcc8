import ArgumentParser
import Foundation
import RemoteJobs

/// `p _place LABEL`: where `p @LABEL -- ...` would run a job now, and why (for scripts and
/// the fleet benchmark).
struct Place: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "_place", abstract: "Say which worker with a label p would choose now.", shouldDisplay: false)

    @Argument(help: "The label (with or without the leading @).")
    var label: String

    func run() async throws {
        try await reportingErrors {
            try await EngineFactory.withEngine(connectTimeout: .seconds(5)) { engine in
                let placement = try await engine.place(label: label.hasPrefix("@") ? String(label.dropFirst()) : label)
                for skipped in placement.skipped {
                    Report.note("p: skipped worker \(skipped.worker): \(skipped.failure)")
                }
                print(placement.worker.name)
                Report.note("p: " + placement.reason)
                Report.note("p: at most \(await engine.peakConnecting) connections were opening at once")
                return 0
            }
        }
    }
}
