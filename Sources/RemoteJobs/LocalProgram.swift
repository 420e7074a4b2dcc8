import Foundation

/// A program on the client, found on `PATH` and run to its end, for the client-side
/// conveniences of front ends (a desktop notification when a job ends). Started as p starts
/// rsync (`ChildProcess`): no signal blocked, nothing inherited but stdin (empty), stdout and
/// stderr (collected), waited for off the cooperative pool.
public enum LocalProgram {
    /// The first executable called `name` on `PATH`, or nil.
    public static func find(_ name: String) -> String? { ChildProcess.find(name) }

    /// Runs `executable` with `arguments`; returns its exit code (128+N after signal N).
    /// - Throws: `RemoteJobsError.localFile` when it cannot be started.
    public static func run(_ executable: String, arguments: [String]) async throws -> Int32 {
        try await ChildProcess.run(executable, arguments: arguments, onOutput: { _ in }).status
    }
}
