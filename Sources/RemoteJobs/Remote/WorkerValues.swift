import Foundation

/// Values read from a worker, parsed defensively. A job runs as the worker's user and can
/// write anything into its own files (`ended_at`, `pid`, `exitcode`), and a worker's `date`
/// can print anything; none of it may crash p or make it act on another process. A value
/// that fails these checks is treated as unreadable, and the job's status says so.
enum WorkerValues {
    /// The latest time a worker may report: the end of year 9999, where record dates stop.
    static let latestSeconds: UInt64 = 253_402_300_799

    /// Unix seconds, when `text` is a plain decimal number (digits, optionally a fraction)
    /// no later than the year 9999.
    static func date<S: StringProtocol>(_ text: S) -> Date? {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, !whole.isEmpty, whole.count <= 12, whole.allSatisfy(\.isASCIIDigit),
            let seconds = UInt64(whole), seconds <= latestSeconds
        else { return nil }
        var fraction = 0.0
        if parts.count == 2 {
            guard !parts[1].isEmpty, parts[1].allSatisfy(\.isASCIIDigit) else { return nil }
            fraction = Double("0." + parts[1].prefix(9)) ?? 0
        }
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }

    /// A process id p may signal: digits only, above 1 (`kill -1` would reach every process
    /// of the user, and 1 is init), within the range of pids.
    static func pid<S: StringProtocol>(_ text: S) -> Int? {
        guard !text.isEmpty, text.count <= 10, text.allSatisfy(\.isASCIIDigit), let pid = Int(text),
            pid > 1, pid <= Int(Int32.max)
        else { return nil }
        return pid
    }

    /// An exit status as the wrapper records it: 0 to 255 (128+N after signal N).
    static func exitCode<S: StringProtocol>(_ text: S) -> Int32? {
        guard !text.isEmpty, text.count <= 3, text.allSatisfy(\.isASCIIDigit), let code = Int32(text), code <= 255
        else { return nil }
        return code
    }

    /// A byte count: digits only, within 64 bits.
    static func size<S: StringProtocol>(_ text: S) -> UInt64? {
        guard !text.isEmpty, text.count <= 20, text.allSatisfy(\.isASCIIDigit) else { return nil }
        return UInt64(text)
    }

    /// A Slurm job id: digits, or `<array id>_<index>`.
    static func slurmJobID<S: StringProtocol>(_ text: S) -> String? {
        guard !text.isEmpty, text.count <= 24, text.first?.isASCIIDigit == true,
            text.allSatisfy({ $0.isASCIIDigit || $0 == "_" })
        else { return nil }
        return String(text)
    }

    /// A signal name or `timeout`, as `p stop` and the watchdog write it.
    static func signalName<S: StringProtocol>(_ text: S) -> String? {
        guard !text.isEmpty, text.count <= 16,
            text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") })
        else { return nil }
        return String(text)
    }
}

extension Character {
    /// `0` to `9` only (`isNumber` accepts other scripts' digits and fractions).
    var isASCIIDigit: Bool { ("0"..."9").contains(self) && isASCII }
}
