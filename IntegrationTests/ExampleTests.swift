import Foundation
import Testing

@testable import RemoteJobs

/// The README's Swift example (`Examples/RunJob`), built with the package, run against the
/// test sshd as a program using p's files.
@Suite("The Swift API example", .timeLimit(.minutes(10)), .throttled)
struct ExampleTests {
    @Test func runJobStreamsTheOutputAndExitsWithTheJobsCode() async throws {
        let world = try await JobWorld.make()
        let program = URL(fileURLWithPath: try Shell.pExecutable).deletingLastPathComponent()
            .appendingPathComponent("RunJob").path
        guard FileManager.default.isExecutableFile(atPath: program) else {
            throw TestFailure("the example is not built at \(program); run `swift build` before the tests")
        }
        let result = try await PProcess(
            ["box", "for i in 1 2 3; do echo line $i; done; exit 7"], environment: world.environment,
            executable: program
        ).wait()
        #expect(result.status == 7, "\(result.stderr)")
        #expect(result.stdoutText == "line 1\nline 2\nline 3\n")
        #expect(result.stderr.contains("started job"))
        let records = world.records.loadAll().records
        #expect(records.count == 1 && records.first?.status.exitCode == 7, "an ordinary p job")
    }
}
