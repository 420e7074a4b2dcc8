import ArgumentParser
import Foundation

/// `p-server`, installed beside p, which `p mcp` and `p ui` hand over to: kept apart so that
/// p itself does not load its libraries (the MCP SDK, an HTTP server) at every command's
/// start-up.
enum CompanionProgram {
    /// Replaces this process with `p-server SERVER ARGUMENTS...` (same pid, same stdin,
    /// stdout and terminal, so signals and the client reach it directly). Returns only by
    /// throwing: the program is missing or could not start (said on stderr).
    static func replaceProcess(withServer server: String, command: String, arguments: [String]) throws -> Never {
        let name = "p-server"
        guard let executable = EngineFactory.selfExecutable else {
            Report.error("cannot tell where p is installed, so cannot find \(name) beside it")
            throw ExitCode(1)
        }
        let program = (executable as NSString).deletingLastPathComponent + "/" + name
        guard access(program, X_OK) == 0 else {
            Report.error(
                "\(command) needs \(name) beside p (\(program)): install both (swift build -c release builds both)")
            throw ExitCode(1)
        }
        let argv = ([program, server] + arguments).map { strdup($0) } + [nil]
        execv(program, argv)
        Report.error("cannot start \(program): \(String(cString: strerror(errno)))")
        throw ExitCode(1)
    }
}
