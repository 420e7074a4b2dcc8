import ArgumentParser
import RemoteJobs
import Testing

@testable import PCLI

@Suite("Parsing p's command lines")
struct CommandParsingTests {
    @Test func bareCommandRunsOnTheDefaultWorker() throws {
        let run = try #require(try PCommand.parseAsRoot(["--", "make", "-j8", "test"]) as? Run)
        #expect(run.worker == nil)
        #expect(run.command == ["make", "-j8", "test"])
    }

    @Test func workerAndFlagsBeforeTheSeparator() throws {
        let run = try #require(
            try PCommand.parseAsRoot(["beefy", "-d", "-n", "-e", "A=1", "--timeout", "1h30m", "--", "echo", "-d"])
                as? Run)
        #expect(run.worker == "beefy")
        #expect(run.detach && run.noSync)
        #expect(run.environment == ["A=1"])
        #expect(run.timeout == DurationArgument(.seconds(5400)))
        #expect(run.command == ["echo", "-d"])
    }

    @Test func missingCommandIsAUsageError() {
        #expect(throws: (any Error).self) { try PCommand.parseAsRoot(["beefy"]) }
        #expect(throws: (any Error).self) { try PCommand.parseAsRoot(["-e", "1X=2", "--", "true"]) }
    }

    @Test func subcommandsParse() throws {
        #expect(try PCommand.parseAsRoot(["ls", "-a", "--json"]) is List)
        let logs = try #require(try PCommand.parseAsRoot(["logs", "-f", "--tail", "5", "abcd"]) as? Logs)
        #expect(logs.follow && logs.tail == 5 && logs.id == "abcd")
        let stop = try #require(try PCommand.parseAsRoot(["stop", "--signal", "kill", "abcd"]) as? Stop)
        #expect(stop.signal == .kill)
        #expect(
            try PCommand.parseAsRoot(["worker", "register", "me@host:2222", "-n", "box"]) is WorkerCommand.Register)
    }

    @Test(arguments: [
        ("90", 90.0), ("90s", 90), ("5m", 300), ("1h30m", 5400), ("2d", 172_800), ("500ms", 0.5), ("1.5h", 5400),
        ("1d2h3m4s5ms", 93784.005), ("0.5", 0.5), ("36500d", 3_153_600_000),
    ])
    func durations(text: String, seconds: Double) throws {
        let parsed = try #require(DurationArgument.parse(text))
        #expect(parsed == .milliseconds(Int64(seconds * 1000)))
    }

    /// `--help` shows a default duration as the option takes it, and it parses back.
    @Test(arguments: [
        (10.0, "10s"), (3600, "1h"), (90, "1m30s"), (93784.005, "1d2h3m4s5ms"), (0.5, "500ms"), (0, "0s"),
    ])
    func durationDefaultsShowAsTheyAreWritten(seconds: Double, shown: String) throws {
        let argument = DurationArgument(.milliseconds(Int64((seconds * 1000).rounded())))
        #expect(argument.defaultValueDescription == shown)
        #expect(DurationArgument.parse(shown) == argument.duration)
    }

    @Test func stopHelpShowsTheGraceAsADuration() {
        let help = PCommand.helpMessage(for: Stop.self)
        #expect(help.contains("(default: 10s)"), "\(help)")
    }

    @Test(arguments: [
        "", "m", "5x", "-3s", "1h-", "five", "1h1h", "30m1h", "1e300", "1e3s", "inf", "nan", "infs", "1..5s", ".5s",
        "36501d", "99999999999999999999", "9999999999999999999999999h", "1h 30m", "٣s",
    ])
    func badDurations(text: String) {
        #expect(DurationArgument.parse(text) == nil)
    }

    @Test func durationsTooLargeAreUsageErrorsNotTraps() {
        for value in ["1e300", "99999999999999999999d", "1h1h"] {
            #expect(throws: (any Error).self) { try PCommand.parseAsRoot(["--timeout", value, "--", "true"]) }
            #expect(throws: (any Error).self) { try PCommand.parseAsRoot(["stop", "--grace", value, "abcd"]) }
        }
    }

    @Test func remoteShellParsesSSHStyleOptions() throws {
        let command = try RemoteShell.parse([
            "-p", "2200", "-l", "me", "-i", "/k", "-o", "ConnectTimeout=3", "host", "echo", "a b",
        ])
        #expect(command.connection.port == 2200)
        #expect(command.connection.user == "me")
        #expect(command.connection.identityFiles == ["/k"])
        #expect(command.connection.options == ["ConnectTimeout=3"])
        #expect(command.host == "host")
        #expect(command.command == ["echo", "a b"])
    }
}

@Suite("Dependency lists")
struct DependencyListTests {
    /// An empty `--after` (a script whose first submit failed left its id empty) is an
    /// error, never a job without a dependency.
    @Test(arguments: ["", ",,,", "abc,", ",abc", "abc,,def", " "])
    func emptyItemsAreRefused(list: String) {
        #expect(throws: (any Error).self) { try PCommand.parseAsRoot(["--after", list, "--", "true"]) }
        #expect(throws: (any Error).self) { try PCommand.parseAsRoot(["--after-any", list, "--", "true"]) }
    }

    @Test func idsAreTrimmed() throws {
        #expect(try JobRequest.parseDependencies("abc, def") == ["abc", "def"])
        #expect(try JobRequest.parseDependencies("abc") == ["abc"])
        _ = try #require(try PCommand.parseAsRoot(["--after", "abc,def", "--", "true"]) as? Run)
    }
}
