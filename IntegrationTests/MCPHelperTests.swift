import Foundation
import Testing

/// `p mcp` hands over to `p-mcp`, so that p itself stays light: p loads neither the MCP SDK
/// nor, through its networking, libcurl; without `p-mcp` beside it, `p mcp` says so.
@Suite("p mcp's server program", .timeLimit(.minutes(5)))
struct MCPHelperTests {
    @Test func pItselfLoadsNoNetworkingLibrary() throws {
        let libraries = try Shell.run("ldd", [try Shell.pExecutable])
        #expect(!libraries.contains("libcurl"), "\(libraries)")
        #expect(!libraries.contains("FoundationNetworking"), "\(libraries)")
    }

    @Test func withoutTheServerBesideItPMCPSaysWhatIsMissing() async throws {
        let directory = try TestSSHD.makeTemporaryDirectory()
        let lonely = directory + "/p"
        try FileManager.default.copyItem(atPath: try Shell.pExecutable, toPath: lonely)
        let world = try await JobWorld.make()
        let result = try await PProcess(["mcp"], environment: world.environment, executable: lonely).wait()
        #expect(result.status == 1)
        #expect(result.stderr.contains("p mcp needs p-mcp beside p (\(directory)/p-mcp)"), "\(result.stderr)")
    }
}
