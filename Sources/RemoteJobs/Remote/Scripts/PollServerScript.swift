import Foundation

/// A long-lived poll server: one exec answers many polls, one line out and one answer back.
enum PollServerScript {
    /// The request for up to `maxBytes` of job directory `jobDirectory`'s log `stream`
    /// from `offset`.
    static func request(jobDirectory: String, offset: UInt64, maxBytes: Int, stream: LogStream = .stdout) -> [UInt8] {
        Array("\(offset) \(maxBytes) \(stream.rawValue) \(jobDirectory)\n".utf8)
    }

    /// The request for the worker's load under `root`, with detail (`lib/load.sh`); the
    /// answer's bytes are `LoadScript`'s lines.
    static func loadRequest(root: String) -> [UInt8] {
        Array("load 0 load \(root)\n".utf8)
    }

    /// The first line of an answer, `<count> p-end ...`: how many log bytes follow, and the
    /// trailer as control lines; nil for anything else.
    static func parseAnswerHeader(_ line: String) -> (count: Int, control: ControlLines)? {
        guard let space = line.firstIndex(of: " "), let count = Int(line[..<space]), count >= 0 else { return nil }
        var control = ControlLines(token: nil)
        _ = control.feed(Array(line[line.index(after: space)...].utf8) + [0x0A])
        return (count, control)
    }

    /// The first line of an answer to `loadRequest`, `<count> p-load`: how many bytes of
    /// the load follow; nil for anything else.
    static func parseLoadHeader(_ line: String) -> Int? {
        guard line.hasSuffix(" p-load"), let count = Int(line.dropLast(7)), count >= 0 else { return nil }
        return count
    }

    /// The server's announcement of its process id, `pid <n>`.
    static func parseAnnouncement(_ line: String) -> Int? {
        line.hasPrefix("pid ") ? WorkerValues.pid(line.dropFirst(4)) : nil
    }

    /// `Worker/poll-server.sh`.
    static let file = "poll-server.sh"
    static let source = WorkerShell.program(file)
}
