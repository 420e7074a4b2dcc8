import Foundation

/// A long-lived poll server: one exec answers many polls, one line out and one answer back.
enum PollServerScript {
    /// The request for up to `maxBytes` of job directory `jobDirectory`'s log `stream`
    /// from `offset`.
    static func request(jobDirectory: String, offset: UInt64, maxBytes: Int, stream: LogStream = .stdout) -> [UInt8] {
        Array("\(offset) \(maxBytes) \(stream.rawValue) \(jobDirectory)\n".utf8)
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
    /// `offset max stream J` (`stderr`: `stderr.log`, else the log) is answered with the line
    /// `<count> p-end <size> <facts>` (or `0 p-end missing`) and then exactly `count` bytes
    /// of the log from `offset`. The size is measured before the read and the log only
    /// grows, so the count is exact; a capped log is read first (`rd`), and the count is
    /// what was read.
    static let source = [
        #"echo "pid $$""#,
        RemoteScripts.factsFunction,
        #"while read -r o m g J; do pL=output.log; if [ "$g" = stderr ]; then pL=stderr.log; fi; if [ -d "$J" ]; then f=$(facts); n=$(size); c=0; if [ $n -gt $o ]; then c=$((n-o)); if [ $c -gt $m ]; then c=$m; fi; fi; if [ $c -gt 0 ] && [ -f "$J/max_log" ]; then y=$((o+c)); k=$o; rd $y > "$J/.ps.$$"; c=$((o-k)); printf "%s p-end %s%s %s\n" $c $n "$(gp)" "$f"; cat "$J/.ps.$$"; rm -f "$J/.ps.$$"; else printf "%s p-end %s%s %s\n" $c $n "$(gp)" "$f"; if [ $c -gt 0 ]; then fr $o "$J/$pL" | head -c $c; fi; fi; else echo "0 p-end missing"; fi; done"#,
    ].joined(separator: "; ")
}
