import Testing

@testable import PCLI

@Suite("Command-line help")
struct HelpTests {
    @Test func rootHelpIsStable() {
        let help = PCommand.helpMessage(columns: 80)
        #expect(help.contains("USAGE: p"))
        #expect(help.contains("Run commands on remote workers over SSH"))
        #expect(!help.contains("_exec"), "hidden subcommands stay out of the help")
        for command in ["run (default)", "ls", "logs", "stop", "pull", "rm", "prune", "worker"] {
            #expect(help.contains("  \(command) "), "\(command)")
        }
        for line in help.split(separator: "\n") { #expect(line.count <= 80, "\(line)") }
    }

    @Test func versionIsSemantic() {
        #expect(PVersion.current.split(separator: ".").count == 3)
    }
}
