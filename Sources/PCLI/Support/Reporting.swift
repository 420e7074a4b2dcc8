import ArgumentParser
import Foundation
import RemoteJobs
import SSHTransport

/// Messages on stderr, prefixed `p:`.
enum Report {
    static func error(_ message: String) {
        FileDescriptorWriter.write(Array("p: \(message)\n".utf8), to: STDERR_FILENO)
    }

    static func note(_ message: String) {
        FileDescriptorWriter.write(Array("\(message)\n".utf8), to: STDERR_FILENO)
    }

    /// With `verbose`, what tells stderr how commands reached the workers (through the
    /// keeper, or directly and why); nil otherwise.
    static func route(_ verbose: Bool) -> (@Sendable (String) -> Void)? {
        guard verbose else { return nil }
        return { @Sendable route in note("p: connected " + route) }
    }
}

/// Runs a command's body and turns its errors into SPEC.md's exit codes: 255 when the
/// connection failed, 1 for usage and state errors; the message goes to stderr.
func reportingErrors(_ body: () async throws -> Int32) async throws -> Never {
    let status: Int32
    do {
        status = try await body()
    } catch let error as RemoteJobsError {
        Report.error(describe(error))
        throw ExitCode(error.isConnectionFailure ? 255 : 1)
    } catch let error as SSHError {
        Report.error("\(error)")
        throw ExitCode(255)
    } catch let error as DecodingError {
        Report.error("a job record is corrupt: \(error)")
        throw ExitCode(1)
    } catch is CancellationError {
        throw ExitCode(130)
    }
    throw ExitCode(status)
}

/// The error's message, with advice where the command line can act on it.
func describe(_ error: RemoteJobsError) -> String {
    if case .connection(_, _, .hostKeyUnknown) = error {
        return
            "\(error)\nTo trust this host, run `p worker register` on a terminal to confirm its key, or add --accept-new-host-key."
    }
    return "\(error)"
}

/// Runs `body` for each job the references name and prints the line it returns: a job id
/// (or prefix), an array's id (each of its elements) or `ARRAY:INDEX` (one element), as
/// `JobEngine.jobs(named:)` reads them. A state error (an unknown id, a job that is not
/// running) is reported and the other jobs still go (exit 1); a connection failure ends the
/// command (exit 255, through `reportingErrors`).
func forEachJob(
    _ references: [String], in engine: JobEngine, includingReplaced: Bool = false,
    _ body: (String) async throws -> String
) async throws -> Int32 {
    var status: Int32 = 0
    for reference in references {
        do {
            for record in try await engine.jobs(named: reference, includingReplaced: includingReplaced) {
                do {
                    print(try await body(record.id))
                } catch let error as RemoteJobsError where !error.isConnectionFailure {
                    Report.error("\(error)")
                    status = 1
                }
            }
        } catch let error as RemoteJobsError where !error.isConnectionFailure {
            Report.error("\(error)")
            status = 1
        }
    }
    return status
}
