import Foundation
import Testing

@testable import RemoteJobs

@Suite("Reconciling records with the worker")
struct ReconcilerTests {
    let running = JobRecord(
        id: "0b6d3c1e-0000-4000-8000-000000000001", worker: "w", connection: "w", root: ".p", command: "make",
        cwd: "/src", bootID: "boot-1")
    let ended = Date(timeIntervalSince1970: 1_700_000_000)
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func reconcile(_ facts: JobFacts?, boot: String? = "boot-1", record: JobRecord? = nil) -> JobStatus {
        let record = record ?? running
        let worker =
            facts.map { WorkerFacts(bootID: boot, jobs: [record.id: $0]) } ?? WorkerFacts(bootID: boot, jobs: [:])
        return Reconciler.reconcile(record, with: worker, now: now).status
    }

    @Test func exitCodeZeroIsDone() {
        #expect(reconcile(JobFacts(exists: true, exitCode: 0, endedAt: ended)) == .done(endedAt: ended))
    }

    @Test func otherExitCodesFail() {
        #expect(
            reconcile(JobFacts(exists: true, exitCode: 137, endedAt: ended)) == .failed(exitCode: 137, endedAt: ended))
    }

    @Test func stoppedMarkerWinsOverTheExitCode() {
        #expect(
            reconcile(JobFacts(exists: true, exitCode: 143, stoppedBy: "TERM", endedAt: ended))
                == .stopped(signal: "TERM", exitCode: 143, endedAt: ended))
    }

    @Test func stoppedAndKilledWithoutCodeEndsNow() {
        #expect(
            reconcile(JobFacts(exists: true, stoppedBy: "timeout", processAlive: false))
                == .stopped(signal: "timeout", exitCode: nil, endedAt: now))
    }

    @Test func aStopInProgressIsStillRunning() {
        #expect(reconcile(JobFacts(exists: true, stoppedBy: "TERM", processAlive: true)) == .running)
    }

    @Test func vanishedProcessIsUnknown() {
        #expect(
            reconcile(JobFacts(exists: true, processAlive: false))
                == .unknown(reason: "the process vanished without an exit code"))
    }

    @Test func rebootIsUnknownEvenIfThePidIsTaken() {
        #expect(
            reconcile(JobFacts(exists: true, processAlive: true), boot: "boot-2")
                == .unknown(reason: "the worker rebooted"))
    }

    @Test func anExitCodeWrittenBeforeTheRebootStillCounts() {
        #expect(reconcile(JobFacts(exists: true, exitCode: 0, endedAt: ended), boot: "boot-2") == .done(endedAt: ended))
    }

    @Test func missingFilesAreUnknown() {
        #expect(reconcile(JobFacts(exists: false)) == .unknown(reason: "its files on the worker are gone"))
        #expect(reconcile(nil) == .unknown(reason: "its files on the worker are gone"))
    }

    @Test func aliveIsRunning() {
        #expect(reconcile(JobFacts(exists: true, processAlive: true)) == .running)
    }

    @Test func unreachableWorkerChangesNothing() {
        #expect(Reconciler.reconcile(running, with: nil) == running)
    }

    @Test func finishedRecordsNeverChange() {
        var done = running
        done.status = .failed(exitCode: 2, endedAt: ended)
        #expect(reconcile(JobFacts(exists: false), record: done) == .failed(exitCode: 2, endedAt: ended))
    }

    @Test func workerWithoutBootIDSkipsTheRebootRule() {
        #expect(reconcile(JobFacts(exists: true, processAlive: true), boot: nil) == .running)
    }
}

@Suite("Reconciling what a worker says about ended, lost and prepared jobs")
struct ReconcilerEdgeTests {
    let running = JobRecord(
        id: "0b6d3c1e-0000-4000-8000-000000000002", worker: "w", connection: "w", root: ".p", command: "make",
        cwd: "/src", bootID: "boot-1")
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func facts(_ job: JobFacts, _ id: String) -> WorkerFacts { WorkerFacts(bootID: "boot-1", jobs: [id: job]) }

    @Test func aFullDiskFailsTheJobWithTheReason() {
        let lost = Reconciler.reconcile(
            running, with: facts(JobFacts(exists: true, diskFull: true), running.id), now: now)
        #expect(lost.status.exitCode == nil)
        #expect(lost.status.reason?.contains("disk is full") == true)
        #expect(lost.status.name == "failed")
        let kept = Reconciler.reconcile(
            running, with: facts(JobFacts(exists: true, exitCode: 0, diskFull: true), running.id), now: now)
        #expect(kept.status.name == "failed" && kept.status.exitCode == 0)
        #expect(kept.status.reason?.contains("output may be incomplete") == true)
    }

    @Test func anUnreadableExitCodeIsSaid() {
        let record = Reconciler.reconcile(
            running, with: facts(JobFacts(exists: true, exitCodeUnreadable: true), running.id), now: now)
        #expect(
            record.status
                == .unknown(reason: "its exit code file on the worker holds something other than an exit code"))
    }

    @Test func anUnknownJobWhoseFilesCameBackIsSettled() {
        var lost = running
        lost.status = .unknown(reason: "its files on the worker are gone")
        let ended = Date(timeIntervalSince1970: 1_700_000_000)
        #expect(
            Reconciler.reconcile(lost, with: facts(JobFacts(exists: true, exitCode: 0, endedAt: ended), lost.id)).status
                == .done(endedAt: ended))
        #expect(
            Reconciler.reconcile(lost, with: facts(JobFacts(exists: true, processAlive: true), lost.id)).status
                == .running)
        // Still nothing new: the first reason stays.
        #expect(Reconciler.reconcile(lost, with: facts(JobFacts(exists: true), lost.id)) == lost)
        #expect(Reconciler.reconcile(lost, with: WorkerFacts(bootID: nil, jobs: [:])) == lost)
    }

    @Test func workerTimesAreMovedOntoTheClientsClock() {
        var record = running
        record.workerClockOffset = 7200
        let workerEnd = Date(timeIntervalSince1970: 1_700_007_200)
        #expect(
            Reconciler.reconcile(
                record, with: facts(JobFacts(exists: true, exitCode: 0, endedAt: workerEnd), record.id)
            )
            .status == .done(endedAt: Date(timeIntervalSince1970: 1_700_000_000)))
    }

    @Test func aJobBeingPreparedIsSettledOnlyWhenItsPIsGone() {
        var preparing = running
        preparing.status = .syncing(by: ClientProcess(pid: 4242, host: "h", started: nil))
        #expect(Reconciler.reconcile(preparing, with: facts(JobFacts(exists: false), preparing.id)) == preparing)
        #expect(Reconciler.reconcilePreparation(preparing, preparerAlive: true) == preparing)
        let gone = Reconciler.reconcilePreparation(preparing, preparerAlive: false)
        #expect(gone.status.name == "unknown")
        #expect(gone.status.reason?.contains("pid 4242") == true)
    }

    @Test func aProcessIsKnownGoneOnlyOnThisHost() {
        #expect(ClientProcess.current.isAlive)
        var other = ClientProcess.current
        other.started = (other.started ?? 0) + 1
        #expect(!other.isAlive || other.started == nil, "another process start time under the same pid is not it")
        #expect(ClientProcess(pid: 999_999, host: "another-host", started: nil).isAlive)
    }
}

@Suite("Reconciling Slurm jobs")
struct SlurmReconcilerTests {
    let queued = JobRecord(
        id: "0b6d3c1e-0000-4000-8000-000000000002", worker: "hpc", connection: "hpc", root: ".p", command: "train",
        cwd: "/src", status: .queued(reason: nil), slurmJobID: "42")
    let ended = Date(timeIntervalSince1970: 1_700_000_000)
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func status(
        _ state: String?, reason: String? = nil, code: Int32? = nil, stopped: String? = nil, alive: Bool? = nil
    ) -> JobStatus {
        let slurm = state.map { SchedulerFacts(state: $0, reason: reason) }
        let live = alive ?? slurm.map { SchedulerFacts.liveStates.contains($0.state) } ?? false
        let facts = JobFacts(
            exists: true, exitCode: code, stoppedBy: stopped, endedAt: code == nil ? nil : ended, processAlive: live,
            scheduler: slurm)
        return Reconciler.reconcile(queued, with: WorkerFacts(bootID: "other-boot", jobs: [queued.id: facts]), now: now)
            .status
    }

    @Test func theQueueAndRunningStatesFollowSlurm() {
        #expect(status("PENDING", reason: "Resources") == .queued(reason: "Resources"))
        #expect(status("PENDING") == .queued(reason: nil))
        #expect(status("RUNNING") == .running, "the login node's boot id is not the job's")
        #expect(status("COMPLETING", code: 0) == .running, "Slurm has not said how it ended yet")
    }

    @Test func theExitCodeDecidesOnceSlurmIsDone() {
        #expect(status("COMPLETED", code: 0) == .done(endedAt: ended))
        #expect(status("COMPLETED", code: 3) == .failed(exitCode: 3, endedAt: ended))
        #expect(status(nil, code: 137) == .failed(exitCode: 137, endedAt: ended), "Slurm forgot it; the code is enough")
    }

    @Test func slurmsOwnEndsAreNamed() {
        #expect(
            status("TIMEOUT", reason: "TimeLimit", code: 143)
                == .stopped(signal: "timeout", exitCode: 143, endedAt: ended))
        #expect(status("TIMEOUT") == .stopped(signal: "timeout", exitCode: nil, endedAt: now))
        #expect(status("TIMEOUT").reportedExitCode == 124)
        #expect(status("CANCELLED", code: 143) == .stopped(signal: "scancel", exitCode: 143, endedAt: ended))
        #expect(status("CANCELLED", stopped: "TERM") == .stopped(signal: "TERM", exitCode: nil, endedAt: now))
        #expect(
            status("NODE_FAIL")
                == .failed(exitCode: nil, endedAt: now, reason: "Slurm ended it: NODE_FAIL"))
        #expect(
            status("OUT_OF_MEMORY", reason: "OutOfMemory")
                == .failed(exitCode: nil, endedAt: now, reason: "Slurm ended it: OUT_OF_MEMORY (OutOfMemory)"))
        if case .unknown = status(nil) {} else { Issue.record("forgotten without a code is unknown") }
        if case .unknown = status("COMPLETED") {} else { Issue.record("completed without a code is unknown") }
    }

    @Test func theStartOnTheNodeIsRecorded() {
        let started = Date(timeIntervalSince1970: 1_750_000_000)
        let facts = JobFacts(
            exists: true, processAlive: true, scheduler: SchedulerFacts(state: "RUNNING"), startedAt: started)
        let record = Reconciler.reconcile(queued, with: WorkerFacts(bootID: nil, jobs: [queued.id: facts]), now: now)
        #expect(record.status == .running && record.startedAt == started)
    }
}
