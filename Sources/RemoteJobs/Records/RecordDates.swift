import Foundation

/// Dates in records as ISO 8601 UTC with milliseconds (`2026-11-23T13:50:08.123Z`; whole
/// seconds are read too), parsed and printed
/// by hand: Foundation's ISO 8601 strategy costs more than the rest of decoding a record,
/// and `p ls -a` reads every record.
enum RecordDates {
    static func encode(_ date: Date, to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(format(date))
    }

    static func decode(from decoder: any Decoder) throws -> Date {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let date = parse(text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "'\(text)' is not a date like 2026-11-23T13:50:08Z")
        }
        return date
    }

    /// The range of dates a record can hold (years 1 to 9999), so any `Date` formats.
    static let representable: ClosedRange<TimeInterval> = -62_135_596_800...253_402_300_799.999

    static func format(_ date: Date) -> String {
        var interval = date.timeIntervalSince1970
        if !interval.isFinite { interval = 0 }
        interval = min(max(interval, representable.lowerBound), representable.upperBound)
        let milliseconds = Int((interval * 1000).rounded(.down))
        var seconds = time_t(milliseconds.quotientAndRemainder(dividingBy: 1000).quotient)
        let fraction = ((milliseconds % 1000) + 1000) % 1000
        if milliseconds < 0 && fraction != 0 { seconds -= 1 }
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let year = String(parts.tm_year + 1900)
        return String(repeating: "0", count: max(0, 4 - year.count)) + year
            + "-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T"
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))."
            + String(fraction + 1000).dropFirst() + "Z"
    }

    /// `YYYY-MM-DDTHH:MM:SS` with optional fractional seconds and `Z`, or nil.
    static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes.last == UInt8(ascii: "Z"), bytes[4] == UInt8(ascii: "-"),
            bytes[7] == UInt8(ascii: "-"), bytes[10] == UInt8(ascii: "T"), bytes[13] == UInt8(ascii: ":"),
            bytes[16] == UInt8(ascii: ":")
        else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                let digit = Int(bytes[index]) - 48
                guard (0...9).contains(digit) else { return nil }
                value = value * 10 + digit
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var fraction = 0.0
        if bytes.count > 20 {
            let digits = bytes[20..<(bytes.count - 1)]
            guard bytes[19] == UInt8(ascii: "."), !digits.isEmpty, digits.allSatisfy({ (48...57).contains($0) })
            else { return nil }
            var scale = 0.1
            for digit in digits.prefix(9) {
                fraction += Double(digit - 48) * scale
                scale /= 10
            }
        }
        // Days from the civil date (Howard Hinnant's algorithm), no calendar object needed.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146097 + dayOfEra - 719468
        return Date(timeIntervalSince1970: TimeInterval(days * 86400 + hour * 3600 + minute * 60 + second) + fraction)
    }
}
