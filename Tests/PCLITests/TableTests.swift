import Foundation
import RemoteJobs
import Testing

@testable import PCLI

@Suite("The ls table")
struct TableTests {
    let records = [
        JobRecord(
            id: "0123abcd-0000-4000-8000-000000000001", worker: "beefy", connection: "c", root: ".p",
            command: "make -j8 test && ./scripts/run-the-whole-integration-suite --verbose",
            cwd: "/home/me/src/project",
            submittedAt: Date(timeIntervalSince1970: 0), startedAt: Date(timeIntervalSince1970: 0),
            status: .failed(exitCode: 2, endedAt: Date(timeIntervalSince1970: 125))),
        JobRecord(
            id: "4567abcd-0000-4000-8000-000000000002", worker: "cloud", connection: "c", root: ".p",
            command: "cat <<EOF\nhi\nEOF", cwd: "/srv", submittedAt: Date(timeIntervalSince1970: 0),
            startedAt: Date(timeIntervalSince1970: 0)),
    ]

    @Test func goldenWideTable() {
        let lines = JobFormatting.table(records, unreachable: ["cloud"], now: Date(timeIntervalSince1970: 3700))
            .render(width: nil)
        #expect(
            lines == [
                "ID         WORKER   CWD                    COMMAND                                                                STATUS        DURATION",
                "0123abcd   beefy    /home/me/src/project   make -j8 test && ./scripts/run-the-whole-integration-suite --verbose   failed [2]    2m05s",
                "4567abcd   cloud    /srv                   cat <<EOF hi EOF                                                       unreachable   1h01m",
            ])
    }

    @Test(arguments: [80, 100])
    func fitsTheWidthWithEllipses(width: Int) {
        let lines = JobFormatting.table(records, unreachable: [], now: Date(timeIntervalSince1970: 3700)).render(
            width: width)
        for line in lines { #expect(line.count <= width, "\(line)") }
        #expect(lines[1].contains("…"))
        // Below the columns' minimums the table stays readable rather than fitting.
        let narrow = JobFormatting.table(records, unreachable: [], now: Date(timeIntervalSince1970: 3700)).render(
            width: 20)
        #expect(narrow[1] == "0123abcd   beefy    /home/me/…   make -j8 te…   failed [2]   2m05s")
        #expect(lines[1].hasPrefix("0123abcd"))
        #expect(lines[1].hasSuffix("failed [2]   2m05s"))
    }

    /// A 10 MB command makes one cut cell, not 10 MB of padding on every row.
    @Test func aHugeCommandDoesNotPadEveryRow() {
        var huge = records[1]
        huge.command = String(repeating: "y", count: 10 << 20)
        let lines = JobFormatting.table([records[0], huge], unreachable: [], now: Date(timeIntervalSince1970: 3700))
            .render(width: nil)
        #expect(lines.allSatisfy { $0.count < 250 }, "\(lines.map(\.count))")
        #expect(lines[2].contains("…"))
    }

    @Test func homeIsAbbreviated() {
        #expect(JobFormatting.abbreviate("/home/me/src", home: "/home/me") == "~/src")
        #expect(JobFormatting.abbreviate("/home/meme", home: "/home/me") == "/home/meme")
    }

    @Test func durations() {
        #expect(JobFormatting.duration(5) == "5s")
        #expect(JobFormatting.duration(3599) == "59m59s")
        #expect(JobFormatting.duration(90061) == "1d01h")
        #expect(JobFormatting.duration(nil) == "-")
        // A 2 s job measured a hair short is 2s, not 1s.
        #expect(JobFormatting.duration(1.97) == "2s")
        #expect(JobFormatting.duration(1.2) == "1s")
    }
}
