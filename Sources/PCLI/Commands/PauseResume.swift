import ArgumentParser
import Foundation
import RemoteJobs

/// `p pause <id>...`: STOP to each job's whole process group.
struct Pause: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Pause running jobs: STOP to the job's whole process group, until `p resume`.",
        discussion: """
            A paused job keeps its memory, files and GPU claims but uses no CPU; `p ls` shows it \
            as paused. Time paused does not count toward --timeout. A job still in the worker's \
            queue has nothing to pause (p stop takes it out); Slurm jobs are suspended by Slurm's \
            operators (scontrol suspend).
            """)

    @Argument(help: "The jobs' ids (unique prefixes), arrays' ids (all their elements), or ARRAY:INDEX.")
    var ids: [String]

    func validate() throws {
        if ids.isEmpty { throw ValidationError("Give the id of the job to pause (see `p ls`).") }
    }

    func run() async throws { try await pauseOrResume(ids, pausing: true) }
}

/// `p resume <id>...`: CONT to each paused job's whole process group.
struct Resume: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Resume paused jobs: CONT to the job's whole process group.")

    @Argument(help: "The jobs' ids (unique prefixes), arrays' ids (all their elements), or ARRAY:INDEX.")
    var ids: [String]

    func validate() throws {
        if ids.isEmpty { throw ValidationError("Give the id of the job to resume (see `p ls`).") }
    }

    func run() async throws { try await pauseOrResume(ids, pausing: false) }
}

/// Pauses or resumes each job, printing its status afterwards.
private func pauseOrResume(_ ids: [String], pausing: Bool) async throws {
    try await reportingErrors {
        try await EngineFactory.withEngine { engine in
            try await forEachJob(ids, in: engine) { id in
                let record = pausing ? try await engine.pause(id) : try await engine.resume(id)
                return "\(record.shortID)  \(record.status.display)"
            }
        }
    }
}
