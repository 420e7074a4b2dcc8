import Foundation

/// Sizes as people write them: `10M`, `10MB`, `1.5G`, `500k`, `4096` (bytes); powers of
/// 1024, as `--max-log` and `config.yaml` take them.
public enum ByteSize {
    /// The size `text` names.
    /// - Throws: `RemoteJobsError.invalidArgument` for anything else.
    public static func parse(_ text: String) throws(RemoteJobsError) -> UInt64 {
        let trimmed = text.trimmingCharacters(in: .whitespaces).uppercased()
        var number = trimmed
        var unit: UInt64 = 1
        for (suffixes, factor) in [
            (["KIB", "KB", "K"], 1 << 10), (["MIB", "MB", "M"], 1 << 20), (["GIB", "GB", "G"], 1 << 30),
            (["TIB", "TB", "T"], 1 << 40), (["B"], 1),
        ] as [([String], UInt64)] {
            if let suffix = suffixes.first(where: { trimmed.hasSuffix($0) }) {
                number = String(trimmed.dropLast(suffix.count)).trimmingCharacters(in: .whitespaces)
                unit = factor
                break
            }
        }
        guard !number.isEmpty, number.allSatisfy({ $0.isASCIIDigit || $0 == "." }),
            let value = Double(number), value.isFinite, value >= 0, value * Double(unit) < 1e18
        else {
            throw RemoteJobsError.invalidArgument(
                "'\(text)' is not a size: give bytes, or a number with K, M, G or T (10M, 1.5G).")
        }
        return UInt64((value * Double(unit)).rounded())
    }

    /// `bytes` for people: `10 MB`, `1.5 GB`, `512 B` (powers of 1024).
    public static func format(_ bytes: UInt64) -> String {
        let units: [(UInt64, String)] = [(1 << 40, "TB"), (1 << 30, "GB"), (1 << 20, "MB"), (1 << 10, "KB")]
        for (size, name) in units where bytes >= size {
            let value = Double(bytes) / Double(size)
            return value == value.rounded() ? "\(Int(value)) \(name)" : String(format: "%.1f %@", value, name)
        }
        return "\(bytes) B"
    }
}
