import Foundation

/// What one round trip to a worker found out about its jobs.
public struct WorkerFacts: Sendable, Equatable {
    /// The worker's boot id now, where it has one.
    public var bootID: String?
    /// The facts of each job asked about, by id.
    public var jobs: [String: JobFacts]

    /// Facts.
    public init(bootID: String?, jobs: [String: JobFacts]) {
        self.bootID = bootID
        self.jobs = jobs
    }
}

/// The worker-side files of one job, as read at one moment.
public struct JobFacts: Sendable, Equatable {
    /// Whether `R/jobs/ID` exists at all.
    public var exists: Bool
    /// The content of `exitcode`, if present.
    public var exitCode: Int32?
    /// The content of `stopped`, if present (how it was stopped).
    public var stoppedBy: String?
    /// `ended_at`, if present.
    public var endedAt: Date?
    /// Whether the job's process-group leader was alive (checked before `exitcode` was
    /// read, so a job that ends in between is seen with its code).
    public var processAlive: Bool

    /// Facts of a job.
    public init(
        exists: Bool, exitCode: Int32? = nil, stoppedBy: String? = nil, endedAt: Date? = nil, processAlive: Bool = false
    ) {
        self.exists = exists
        self.exitCode = exitCode
        self.stoppedBy = stoppedBy
        self.endedAt = endedAt
        self.processAlive = processAlive
    }
}
