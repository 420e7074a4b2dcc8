import Foundation
import Testing

@testable import RemoteJobs

@Suite("Worker-side protocol pieces")
struct RemoteProtocolTests {
    @Test func controlLinesSurviveAnySplit() {
        let text = "noise\np-start 123 1700000000 abc-def\np-end 42 0 3 TERM 1700000005\n"
        for split in 0...text.utf8.count {
            var lines = ControlLines()
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
            #expect(lines.otherText == "noise\n")
        }
    }

    @Test func reconcileAnswerParses() {
        let facts = ControlLines.parseReconcile("boot b1\njob a 1 - - -\njob b missing\njob c 0 0 - 17\n")
        #expect(facts?.bootID == "b1")
        #expect(facts?.jobs["a"] == JobFacts(exists: true, processAlive: true))
        #expect(facts?.jobs["b"] == JobFacts(exists: false))
        #expect(facts?.jobs["c"]?.exitCode == 0)
        #expect(ControlLines.parseReconcile("sh: not found\n") == nil)
    }

    @Test func quotingKeepsEveryByte() {
        #expect(ShellQuote.quote("it's") == #"'it'\''s'"#)
        #expect(ShellQuote.command(script: "echo $1", arguments: ["a b"]) == #"sh -c 'echo $1' p 'a b'"#)
    }

    @Test func scriptsAreOneLineWithoutSingleQuotes() {
        for script in [
            RemoteScripts.launch, RemoteScripts.wrapper, RemoteScripts.follow, RemoteScripts.poll, RemoteScripts.stop,
            RemoteScripts.wait, RemoteScripts.reconcile, RemoteScripts.remove, RemoteScripts.probe,
        ] {
            #expect(!script.contains("\n"))
            #expect(!script.contains("'"))
            // fish reads `\\` and `\'` inside single quotes; a lone `\n` for printf is fine.
            #expect(!script.contains("\\\\"))
        }
    }

    @Test func environmentFileQuotesValues() throws {
        let request = JobRequest(
            command: "x",
            environment: [try JobRequest.parseEnvironment("A=it's $HOME"), try JobRequest.parseEnvironment("B=")])
        #expect(String(decoding: request.environmentFile, as: UTF8.self) == "export A='it'\\''s $HOME'\nexport B=''\n")
        #expect(throws: RemoteJobsError.invalidEnvironment("1A=x")) { try JobRequest.parseEnvironment("1A=x") }
        #expect(throws: RemoteJobsError.invalidEnvironment("NOVALUE")) { try JobRequest.parseEnvironment("NOVALUE") }
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
