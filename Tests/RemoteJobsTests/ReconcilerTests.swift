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
