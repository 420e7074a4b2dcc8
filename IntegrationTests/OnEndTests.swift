import Foundation
import Testing

@testable import RemoteJobs

/// `--on-end`: a command the worker runs when the job ends, with the job's id, status and
/// exit code in its environment, and its output apart from the job's log.
@Suite("Commands run when a job ends", .timeLimit(.minutes(10)), .throttled)
struct OnEndTests {
    @Test(arguments: JobWorld.kinds) func theHookSeesTheJobsEndAndKeepsItsOutputApart(kind: WorkerKind) async throws {
        let world = try await JobWorld.make(kind: kind)
        let hook = "env | grep ^P_JOB_ | sort > hook.txt; echo \"token $TOKEN\" >> hook.txt; echo hook output"
        let result = try await world.p("-n", "-e", "TOKEN=t0k", "--on-end", hook, "--", "echo job; exit 3")
        #expect(result.status == 3, "\(result.stderr)")
        #expect(result.stdoutText == "job\n")
        let id = try #require(world.records.loadAll().records.first?.id)
        let workdir = world.root + "/workdirs/" + id
        try await JobWorld.eventually("the hook ran") {
            try await world.workerText("cat '\(workdir)/hook.txt' 2>/dev/null").contains("token")
        }
        let log = try await world.workerText("cat '\(world.jobDirectory(id))/on_end.log' 2>&1")
        #expect(log == "hook output", "\(log)")
        let seen = try await world.workerText("cat '\(workdir)/hook.txt'")
        #expect(seen == "P_JOB_EXIT_CODE=3\nP_JOB_ID=\(id)\nP_JOB_STATUS=failed\ntoken t0k", "\(seen)")
        #expect(try await world.p("logs", id).stdoutText == "job\n", "the hook's output stays out of the log")
    }

    @Test(arguments: JobWorld.kinds) func aStoppedJobsHookSaysSo(kind: WorkerKind) async throws {
        let world = try await JobWorld.make(kind: kind)
        let id = try JobWorld.id(
            try await world.p(
                "-n", "-d", "--on-end", "echo $P_JOB_STATUS $P_JOB_EXIT_CODE > end.txt", "--",
                "echo started; sleep 300"))
        try await world.waitForOutput(id, "started")
        #expect(try await world.p("stop", id).status == 0)
        try await JobWorld.eventually("the hook ran") {
            try await world.workerText("cat '\(world.root)/workdirs/\(id)/end.txt' 2>/dev/null") == "stopped 143"
        }
    }
}
