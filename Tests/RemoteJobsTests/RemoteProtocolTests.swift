import Foundation
import Testing

@testable import RemoteJobs

@Suite("Worker-side protocol pieces")
struct RemoteProtocolTests {
    @Test func controlLinesSurviveAnySplit() {
        let text =
            "noise\np-end 1 1 - - - - - - -\np-begin t0k\np-start 123 1700000000 abc-def\nerror\np-end 42 0 3 TERM 1700000005 - - - -\n"
        for split in 0...text.utf8.count {
            var lines = ControlLines(token: "t0k")
            let bytes = Array(text.utf8)
            _ = lines.feed(Array(bytes[..<split]))
            _ = lines.feed(Array(bytes[split...]))
            #expect(
                lines.start == .init(pid: 123, startedAt: Date(timeIntervalSince1970: 1_700_000_000), bootID: "abc-def")
            )
            #expect(lines.end?.logSize == 42)
            #expect(
                lines.end?.facts
                    == JobFacts(
                        exists: true, exitCode: 3, stoppedBy: "TERM",
                        endedAt: Date(timeIntervalSince1970: 1_700_000_005), processAlive: false))
            #expect(lines.otherText == "error\n")
        }
    }

    @Test func whatALoginFilePrintsBeforeTheScriptIsNeverControl() {
        var lines = ControlLines(token: "abc")
        _ = lines.feed(Array("p-begin other\np-start 5 1 -\np-end 0 0 0 - - -\np-end missing\n".utf8))
        #expect(lines.start == nil && lines.end == nil && !lines.jobMissing)
        #expect(lines.otherText.contains("p-start 5 1 -"), "a script that never began explains itself")
        var framer = StdoutFramer(token: "abc")
        #expect(framer.feed(Array("p-begin abd\nlogin noise\np-begin a".utf8)).isEmpty)
        #expect(framer.feed(Array("bc\nlog bytes".utf8)) == Array("log bytes".utf8))
    }

    @Test func badWorkerValuesAreUnreadableNotFatal() {
        for ended in ["1e300", "nan", "inf", "-1", "99999999999999999999999", "9999999999999", "12abc", "?", ""] {
            let facts = FactsFields.parse(["0", "0", "-", ended, "-"])
            #expect(facts.endedAt == nil, "\(ended)")
            #expect(facts.exitCode == 0)
        }
        #expect(
            FactsFields.parse(["0", "0", "-", "1700000000.5", "-"]).endedAt?.timeIntervalSince1970
                == 1_700_000_000.5)
        for code in ["?", "1e3", "256", "-1", "abc", "99999999999"] {
            let facts = FactsFields.parse(["0", code, "-", "-", "-"])
            #expect(facts.exitCode == nil && facts.exitCodeUnreadable, "\(code)")
        }
        #expect(FactsFields.parse(["0", "-", "-", "-", "full"]).diskFull)
        #expect(FactsFields.parse(["0", "-", "sig nal", "-", "-"]).stoppedBy == "unknown")
        #expect(FactsFields.parse([]).exitCodeUnreadable)
        for pid in ["0", "1", "-1", "abc", "99999999999", ""] {
            #expect(StartLine.parse("p-start \(pid) 1700000000 b") == nil, "\(pid)")
        }
        let garbageClock = StartLine.parse("p-start 42 garbage b")
        #expect(garbageClock?.pid == 42 && garbageClock?.startedAt == nil, "a job that started keeps its record")
        #expect(EndLine.parse("p-end 1e9 0 0 - - - - - -") == nil)
        #expect(EndLine.parse("p-end 10 0  - ") == nil)
    }

    @Test func reconcileAnswerParses() {
        let facts = ReconcileScript.parse("boot b1\njob a 1 - - - - - - -\njob b missing\njob c 0 0 - 17 - - - -\n")
        #expect(facts?.bootID == "b1")
        #expect(facts?.jobs["a"] == JobFacts(exists: true, processAlive: true))
        #expect(facts?.jobs["b"] == JobFacts(exists: false))
        #expect(facts?.jobs["c"]?.exitCode == 0)
        #expect(ReconcileScript.parse("sh: not found\n") == nil)
    }

    @Test func slurmLinesAndStatesParse() {
        var lines = ControlLines(token: "t")
        let events = lines.feed(
            Array("p-begin t\np-slurm 4711\np-state PENDING:Resources\np-state PENDING:None\np-slurm 12;x\n".utf8))
        #expect(events == [.submitted(slurmJobID: "4711"), .queued(reason: "Resources"), .queued(reason: nil)])
        let drained = SchedulerFacts.parse("PENDING:ReqNodeNotAvail,\u{1F}UnavailableNodes:p-node")
        #expect(drained == SchedulerFacts(state: "PENDING", reason: "ReqNodeNotAvail, UnavailableNodes:p-node"))
        #expect(
            SchedulerFacts.parse("CANCELLED\u{1F}by\u{1F}1000:None") == SchedulerFacts(state: "CANCELLED", reason: nil))
        #expect(SchedulerFacts.parse("TIMEOUT:TimeLimit")?.timedOut == true)
        for bad in ["-", "", "running:x", "$(rm):x"] { #expect(SchedulerFacts.parse(bad) == nil, "\(bad)") }
        let facts = FactsFields.parse(["1", "-", "-", "-", "-", "RUNNING:None", "1700000000"])
        #expect(facts.scheduler == SchedulerFacts(state: "RUNNING", reason: nil))
        #expect(facts.startedAt == Date(timeIntervalSince1970: 1_700_000_000))
        #expect(WorkerValues.slurmJobID("12_3") == "12_3" && WorkerValues.slurmJobID("_1") == nil)
    }

    @Test func sbatchOptionsSplitLikeAShell() throws {
        #expect(
            try SlurmRequest.splitOptions(" --qos high  --comment 'two words' -J \"a \\\"b\" c\\ d") == [
                "--qos", "high", "--comment", "two words", "-J", "a \"b", "c d",
            ])
        #expect(try SlurmRequest.splitOptions("") == [])
        #expect(try SlurmRequest.splitOptions("''") == [""])
        #expect(throws: RemoteJobsError.self) { try SlurmRequest.splitOptions("--comment 'open") }
        let request = SlurmRequest(
            gpus: "1", time: "10", partition: "debug", cpus: 2, memory: "1G", extraOptions: ["-q", "x"])
        #expect(
            request.sbatchArguments == [
                "--gpus=1", "--time=10", "--partition=debug", "--cpus-per-task=2", "--mem=1G", "-q", "x",
            ])
        #expect(SlurmRequest().isEmpty)
    }

    @Test func quotingKeepsEveryByte() {
        #expect(ShellQuote.quote("it's") == #"'it'\''s'"#)
        #expect(ShellQuote.command(script: "echo $1", arguments: ["a b"]) == #"sh -c 'echo $1' p 'a b'"#)
        #expect(RemoteScripts.invocation("x").hasSuffix("x"))
    }

    @Test func environmentFileQuotesValues() throws {
        let request = JobRequest(
            command: "x",
            environment: [try JobRequest.parseEnvironment("A=it's $HOME"), try JobRequest.parseEnvironment("B=")])
        #expect(String(decoding: request.environmentFile, as: UTF8.self) == "export A='it'\\''s $HOME'\nexport B=''\n")
        #expect(throws: RemoteJobsError.invalidEnvironment(key: "1A")) { try JobRequest.parseEnvironment("1A=x") }
        #expect(throws: RemoteJobsError.invalidEnvironment(key: nil)) { try JobRequest.parseEnvironment("NOVALUE") }
    }

    @Test func pullPathsStayInside() throws {
        #expect(try JobEngine.normalizedRelativePath("out/./a/../b.txt") == "out/b.txt")
        #expect(try JobEngine.normalizedRelativePath(".") == "")
        for path in ["../x", "/etc/passwd", "a/../../x", "~/x"] {
            #expect(throws: RemoteJobsError.pathOutsideWorkdir(path: path)) {
                try JobEngine.normalizedRelativePath(path)
            }
        }
    }
}
