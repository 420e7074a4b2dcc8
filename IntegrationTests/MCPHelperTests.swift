import Foundation
import Testing

/// `p mcp` and `p ui` hand over to `p-server`, so that p itself stays light: p loads neither
/// the MCP SDK nor, through its networking, libcurl, nor an HTTP server; without `p-server`
/// beside it, `p mcp` and `p ui` say so.
@Suite("p mcp's and p ui's server program", .timeLimit(.minutes(5)))
struct MCPHelperTests {
    @Test func pItselfLoadsNoNetworkingLibrary() throws {
        let libraries = try Shell.run("ldd", [try Shell.pExecutable])
        #expect(!libraries.contains("libcurl"), "\(libraries)")
        #expect(!libraries.contains("FoundationNetworking"), "\(libraries)")
    }

    @Test func withoutTheServerBesideItPMCPAndPUISayWhatIsMissing() async throws {
        let directory = try TestSSHD.makeTemporaryDirectory()
        let lonely = directory + "/p"
        try FileManager.default.copyItem(atPath: try Shell.pExecutable, toPath: lonely)
        let world = try await JobWorld.make()
        for command in ["mcp", "ui"] {
            let result = try await PProcess([command], environment: world.environment, executable: lonely).wait()
            #expect(result.status == 1)
            #expect(
                result.stderr.contains("p \(command) needs p-server beside p (\(directory)/p-server)"),
                "\(result.stderr)")
        }
    }
}
