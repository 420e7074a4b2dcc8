import ArgumentParser

/// A duration on the command line: `90` (seconds), `90s`, `5m`, `1h30m`, `2d`, `500ms`.
struct DurationArgument: ExpressibleByArgument, Equatable {
    var duration: Duration

    init(_ duration: Duration) {
        self.duration = duration
    }

    init?(argument: String) {
        guard let parsed = Self.parse(argument) else { return nil }
        duration = parsed
    }

    static func parse(_ text: String) -> Duration? {
        if let seconds = Double(text), seconds >= 0 { return .milliseconds(Int64(seconds * 1000)) }
        var total: Duration = .zero
        var number = ""
        var unit = ""
        var sawAny = false
        func flush() -> Bool {
            guard let value = Double(number), value >= 0 else { return false }
            let scale: Double
            switch unit {
            case "ms": scale = 0.001
            case "s": scale = 1
            case "m": scale = 60
            case "h": scale = 3600
            case "d": scale = 86400
            default: return false
            }
            total += .milliseconds(Int64(value * scale * 1000))
            number = ""
            unit = ""
            sawAny = true
            return true
        }
        for character in text {
            if character.isNumber || character == "." {
                if !unit.isEmpty { guard flush() else { return nil } }
                number.append(character)
            } else if character.isLetter {
                guard !number.isEmpty else { return nil }
                unit.append(character)
            } else {
                return nil
            }
        }
        guard !number.isEmpty, !unit.isEmpty, flush() else { return nil }
        return sawAny ? total : nil
    }

    static var defaultCompletionKind: CompletionKind { .default }
}
