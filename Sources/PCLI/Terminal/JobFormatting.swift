import Foundation
import RemoteJobs

/// How jobs look in `p ls` and in messages.
enum JobFormatting {
    /// `3s`, `2m05s`, `1h02m`, `3d04h`.
    static func duration(_ seconds: TimeInterval?) -> String {
        guard let seconds, seconds.isFinite else { return "-" }
        // A duration past any real one (a worker's clock far off) must not trap.
        let total = Int(min(max(seconds, 0), 1e15).rounded())
        switch total {
        case ..<60: return "\(total)s"
        case ..<3600: return String(format: "%dm%02ds", total / 60, total % 60)
        case ..<86400: return String(format: "%dh%02dm", total / 3600, (total % 3600) / 60)
        default: return String(format: "%dd%02dh", total / 86400, (total % 86400) / 3600)
        }
    }

    /// A path with the home directory shown as `~`.
    static func abbreviate(_ path: String, home: String = ProcessInfo.processInfo.environment["HOME"] ?? "") -> String {
        guard !home.isEmpty, home != "/" else { return path }
        if path == home { return "~" }
        if path.hasPrefix(home + "/") { return "~" + path.dropFirst(home.count) }
        return path
    }

    /// A command on one line: control characters (newlines in a heredoc) shown as spaces.
    static func oneLine(_ text: String) -> String {
        String(text.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : Character($0) })
    }

    /// The widest the COMMAND column of `p ls` gets (the whole command is in `--json`).
    static let commandWidth = 120

    /// How a job is named in lines about it: its short id, or `ARRAY:INDEX` for an element.
    static func name(_ record: JobRecord) -> String {
        record.array.map { "\($0.shortID):\($0.index)" } ?? record.shortID
    }

    /// The line naming those of `ended` that did not succeed (`p: 2 of 100 elements did not
    /// succeed: 9c1e2f3a:7 (failed [3]), ...`, at most 20 named); nil when all did.
    static func failureLine(_ ended: [JobRecord], counting noun: String = "") -> String? {
        let failed = ended.filter { ($0.status.reportedExitCode ?? 0) != 0 }
        guard !failed.isEmpty else { return nil }
        return "p: \(failed.count) of \(ended.count) \(noun.isEmpty ? "" : noun + " ")did not succeed: "
            + failed.prefix(20).map { "\(name($0)) (\($0.status.display))" }.joined(separator: ", ")
            + (failed.count > 20 ? ", ..." : "")
    }

    /// The `p ls` table: a line per job, and per array (its elements counted by status)
    /// unless `expand`, which lists every element (`ARRAY:INDEX`).
    static func table(_ records: [JobRecord], unreachable: Set<String>, expand: Bool = false, now: Date = Date())
        -> Table
    {
        let home = ProcessInfo.processInfo.environment["HOME"] ?? ""
        var rows: [[String]] = []
        // An element run again (lost, or --retry-failed) is shown as the job that replaced it.
        let records = records.filter { $0.array == nil || $0.supersededBy == nil }
        var arrays: [String: [JobRecord]] = [:]
        for record in records { if let array = record.array { arrays[array.id, default: []].append(record) } }
        var shown: Set<String> = []
        for record in records {
            if let array = record.array, !expand {
                guard shown.insert(array.id).inserted, let elements = arrays[array.id] else { continue }
                rows.append(arrayRow(elements, array: array, unreachable: unreachable, home: home, now: now))
                continue
            }
            let status =
                (record.status.isRunning && unreachable.contains(record.worker)
                    ? "unreachable" : record.status.display)
                + (record.attempts.isEmpty ? "" : " (attempt \(record.attempts.count + 1))")
            rows.append([
                name(record), record.worker, abbreviate(record.cwd, home: home),
                oneLine(String(record.command.prefix(commandWidth + 1))), status,
                duration(record.duration(now: now)),
            ])
        }
        return Table(
            columns: [
                .init(title: "ID"), .init(title: "WORKER", flexible: true, minimum: 6),
                .init(title: "CWD", flexible: true, minimum: 10, maximum: 80),
                .init(title: "COMMAND", flexible: true, minimum: 12, maximum: commandWidth),
                .init(title: "STATUS"), .init(title: "DURATION"),
            ],
            rows: rows)
    }

    /// One line for an array: its workers, its command (`{}` as typed), its elements
    /// counted by status (`3 running, 5 queued, 92 done`), and how long since its first
    /// element started.
    private static func arrayRow(
        _ elements: [JobRecord], array: ArrayMembership, unreachable: Set<String>, home: String, now: Date
    ) -> [String] {
        let workers = Set(elements.map(\.worker))
        var counts: [String: Int] = [:]
        for element in elements {
            let status =
                element.status.isRunning && unreachable.contains(element.worker) ? "unreachable" : element.status.name
            counts[status, default: 0] += 1
        }
        let order = ["syncing", "queued", "running", "paused", "unreachable", "done", "failed", "stopped", "unknown"]
        let status = order.compactMap { name in counts[name].map { "\($0) \(name)" } }.joined(separator: ", ")
        let start = elements.compactMap(\.startedAt).min() ?? elements.map(\.submittedAt).min() ?? now
        let active = elements.contains { $0.status.isActive }
        let end = active ? now : elements.compactMap(\.status.endedAt).max() ?? now
        return [
            array.shortID + "[\(elements.count)]", workers.count == 1 ? elements[0].worker : "\(workers.count) workers",
            abbreviate(elements[0].cwd, home: home), oneLine(String(array.command.prefix(commandWidth + 1))), status,
            duration(max(0, end.timeIntervalSince(start))),
        ]
    }

    /// The terminal's width, when stdout is one.
    static var terminalWidth: Int? {
        guard isatty(STDOUT_FILENO) == 1 else { return nil }
        var size = winsize()
        if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        return ProcessInfo.processInfo.environment["COLUMNS"].flatMap(Int.init) ?? 80
    }

    /// What a sync did, for `-v`: `synced 10000 entries (200.0 MB) in 2.14 s: 9999 files
    /// already on the worker, 12 entries (4.1 KB) sent over SFTP`.
    static func syncSummary(_ report: SyncReport) -> String {
        let seconds = report.duration.inSeconds
        return String(
            format: "synced %d entries (%@) in %.2f s: %d files already on the worker%@, %d entries (%@) %@",
            report.entries, ProgressLine.bytes(report.bytes), seconds, report.filesKept,
            report.tookSpare ? " (its spare copy of the last work directory)" : "", report.entriesSent,
            ProgressLine.bytes(report.bytesSent), how(report.transport))
    }

    /// What a sync repaired, in a sentence.
    static func syncNote(_ note: SyncNote) -> String {
        switch note {
        case .replacedLinks(let paths):
            let shown = paths.prefix(5).map { $0 == "." ? "the work directory itself" : $0 }
            return "replaced \(paths.count) symbolic link(s) a job left in the persistent work directory where "
                + "this directory has folders (\(shown.joined(separator: ", "))\(paths.count > 5 ? ", ..." : "")); "
                + "nothing was written through them"
        case .tookOverWorkdir(let holder):
            return "took over the persistent work directory from job \(holder.prefix(8)), which never started "
                + "(the p preparing it is gone)"
        }
    }

    private static func how(_ transport: SyncTransport) -> String {
        switch transport {
        case .tar: return "streamed with tar"
        case .rsync: return "handed to rsync"
        case .sftp, .automatic: return "sent over SFTP"
        }
    }

    /// How a job ended, for the line `p` prints after streaming: `[Job done: exit 0]`.
    static func endLine(_ record: JobRecord) -> String {
        switch record.status {
        case .failed(let code?, _, let reason?): return "[Job failed: exit \(code), but \(reason)]"
        case .failed(nil, _, let reason): return "[Job failed: \(reason ?? "no exit code")]"
        case .done, .failed: return "[Job done: exit \(record.status.exitCode ?? 0)]"
        case .stopped(let signal, let code, _):
            return "[Job stopped (\(signal))" + (code.map { ": exit \($0)]" } ?? "]")
        case .unknown(let reason): return "[Job ended without an exit code: \(reason)]"
        case .running, .syncing: return "[Job still running]"
        case .paused: return "[Job paused]"
        case .queued: return "[Job still queued]"
        }
    }

    /// The exit code `p -- ...` and `p wait` end with for an ended job (RemoteJobs' one
    /// policy, `JobStatus.reportedExitCode`).
    static func exitCode(_ record: JobRecord) -> Int32 {
        record.status.reportedExitCode ?? 1
    }

    /// What to type to watch or stop a job again.
    static func resumeHints(_ record: JobRecord) -> String {
        "  watch it:  p logs -f \(record.shortID)\n  stop it:   p stop \(record.shortID)"
    }
}
