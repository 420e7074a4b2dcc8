import Foundation

/// A long-lived poll server: one exec answers many polls, one line out and one answer back.
enum PollServerScript {
    /// The request for up to `maxBytes` of job directory `jobDirectory`'s log from `offset`.
    static func request(jobDirectory: String, offset: UInt64, maxBytes: Int) -> [UInt8] {
        Array("\(offset) \(maxBytes) \(jobDirectory)\n".utf8)
    }

    /// The first line of an answer, `<count> p-end ...`: how many log bytes follow, and the
    /// trailer as control lines; nil for anything else.
    static func parseAnswerHeader(_ line: String) -> (count: Int, control: ControlLines)? {
        guard let space = line.firstIndex(of: " "), let count = Int(line[..<space]), count >= 0 else { return nil }
        var control = ControlLines(token: nil)
        _ = control.feed(Array(line[line.index(after: space)...].utf8) + [0x0A])
        return (count, control)
    }

    /// The server's announcement of its process id, `pid <n>`.
    static func parseAnnouncement(_ line: String) -> Int? {
        line.hasPrefix("pid ") ? WorkerValues.pid(line.dropFirst(4)) : nil
    }

    /// Serves polls over one long-lived exec, so a poll costs no channel, no login and no
    /// shell start: after its `p-begin` line and a line `pid <its pid>`, each stdin line
    /// `offset max J` is answered with the line
    /// `<count> p-end <size> <facts>` (or `0 p-end missing`) and then exactly `count` bytes
    /// of the log from `offset`. The size is measured before the read and the log only
    /// grows, so the count is exact.
    static let source = [
        #"echo "pid $$""#,
        RemoteScripts.factsFunction,
        #"while read -r o m J; do if [ -d "$J" ]; then f=$(facts); n=$(size); c=0; if [ $n -gt $o ]; then c=$((n-o)); if [ $c -gt $m ]; then c=$m; fi; fi; printf "%s p-end %s %s\n" $c $n "$f"; if [ $c -gt 0 ]; then tail -c +$((o+1)) "$J/output.log" | head -c $c; fi; else echo "0 p-end missing"; fi; done"#,
    ].joined(separator: "; ")
}
