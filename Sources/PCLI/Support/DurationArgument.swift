import ArgumentParser

/// A duration on the command line: `90` (seconds), `90s`, `5m`, `1h30m`, `1.5h`, `2d`, `500ms`.
/// Each unit appears at most once, largest first (`1h1h` and `30m1h` are refused), numbers
/// are plain decimals (no exponents, no `inf`), and the total is at most `limit`, so no
/// value can overflow the arithmetic that follows.
struct DurationArgument: ExpressibleByArgument, Equatable {
    var duration: Duration

    /// The longest duration accepted: 100 years.
    static let limitSeconds: Double = 100 * 365 * 86400

    init(_ duration: Duration) {
        self.duration = duration
    }

    init?(argument: String) {
        guard let parsed = Self.parse(argument) else { return nil }
        duration = parsed
    }

    /// The units, largest first, with their length in seconds.
    private static let units: [(name: String, seconds: Double)] = [
        ("d", 86400), ("h", 3600), ("m", 60), ("s", 1), ("ms", 0.001),
    ]

    static func parse(_ text: String) -> Duration? {
        if isDecimal(text[...]) { return make(seconds: Double(text)) }
        var total = 0.0
        var lastUnit = -1
        var rest = text[...]
        while !rest.isEmpty {
            let number = rest.prefix(while: { $0.isASCII && ($0.isNumber || $0 == ".") })
            rest = rest.dropFirst(number.count)
            let unit = rest.prefix(while: { $0.isASCII && $0.isLetter })
            rest = rest.dropFirst(unit.count)
            guard isDecimal(number), let value = Double(number),
                let index = units.firstIndex(where: { $0.name == unit }), index > lastUnit
            else { return nil }
            lastUnit = index
            total += value * units[index].seconds
        }
        return lastUnit < 0 ? nil : make(seconds: total)
    }

    /// Digits with at most one `.` between digits.
    private static func isDecimal(_ text: Substring) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return !text.isEmpty && parts.count <= 2
            && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }
    }

    private static func make(seconds: Double?) -> Duration? {
        guard let seconds, seconds.isFinite, seconds >= 0, seconds <= limitSeconds else { return nil }
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }

    static var defaultCompletionKind: CompletionKind { .default }

    /// How `--help` shows a default: in the form the option takes (`10s`, `1h`, `1m30s`),
    /// whole units from the largest down.
    var defaultValueDescription: String {
        var milliseconds = Int64((duration.inSeconds * 1000).rounded())
        guard milliseconds > 0 else { return "0s" }
        var text = ""
        for unit in Self.units {
            let length = Int64((unit.seconds * 1000).rounded())
            if milliseconds >= length {
                text += "\(milliseconds / length)\(unit.name)"
                milliseconds %= length
            }
        }
        return text
    }
}
