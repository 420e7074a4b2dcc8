import Foundation

/// What a worker has, as `p worker register` reports it.
public struct WorkerProbe: Sendable, Equatable {
    /// `uname -sr`.
    public var system: String
    /// `uname -m`.
    public var architecture: String
    /// The login shell jobs run with.
    public var shell: String
    /// Where rsync is, if the worker has it (directory sync uses it when present).
    public var rsync: String?
    /// Whether the worker can start a job in its own session (`setsid`, or perl).
    public var hasSetsid: Bool
    /// Whether `tail` follows a process (`--pid`, GNU coreutils), which live streaming uses.
    public var tailFollowsPid: Bool

    /// What is missing, as sentences; empty when the worker has everything.
    public var missing: [String] {
        var notes: [String] = []
        if rsync == nil {
            notes.append("rsync is not installed: directory sync will use SFTP (slower for large trees)")
        }
        if !hasSetsid {
            notes.append("setsid is missing: install util-linux, or perl, so jobs get their own process group")
        }
        if !tailFollowsPid {
            notes.append("tail has no --pid (not GNU coreutils): live output needs GNU tail")
        }
        return notes
    }

    static func parse(_ text: String) -> WorkerProbe {
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let space = line.firstIndex(of: " ") else { continue }
            values[String(line[..<space])] = String(line[line.index(after: space)...])
        }
        func tool(_ name: String) -> String? { values["has-" + name].flatMap { $0 == "-" ? nil : $0 } }
        return WorkerProbe(
            system: values["os"] ?? "?", architecture: values["arch"] ?? "?", shell: values["shell"] ?? "?",
            rsync: tool("rsync"), hasSetsid: tool("setsid") != nil, tailFollowsPid: values["tail-pid"] == "yes")
    }
}

/// How one worker answered `p worker ls --check`.
public struct WorkerCheck: Sendable {
    /// The worker.
    public var worker: Worker
    /// Connect, handshake and authentication, when it answered.
    public var connectTime: Duration?
    /// One command's round trip on the open connection.
    public var roundTrip: Duration?
    /// Why it could not be reached.
    public var failure: String?
}
