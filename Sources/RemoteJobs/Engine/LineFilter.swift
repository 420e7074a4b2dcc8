import Foundation

/// A poll's filter (`p mcp`'s `poll`, `JobEngine.pollText`): a regular expression applied to whole lines of a job's output, like
/// the filter agents know from their shell tools. Only complete lines are scanned (the last
/// one too once the job ended), so a line is never judged by half of it, and the offset
/// after a filtered poll counts every byte scanned, matching or not.
public struct LineFilter: @unchecked Sendable {
    // Immutable, and safe to use from several threads: so the filter is Sendable.
    private let expression: NSRegularExpression
    /// The pattern, as given.
    public let pattern: String

    /// - Throws: `RemoteJobsError.invalidArgument` for a pattern that is not a regular
    ///   expression.
    public init(_ pattern: String) throws(RemoteJobsError) {
        do {
            expression = try NSRegularExpression(pattern: pattern)
        } catch {
            throw .invalidArgument("'filter' is not a regular expression: \(pattern)")
        }
        self.pattern = pattern
    }

    /// The bytes of `chunk` that were scanned (its complete lines, or all of it when
    /// `final`) and the lines among them that match, each with its newline.
    public func apply(_ chunk: ArraySlice<UInt8>, final: Bool) -> (scanned: Int, text: String) {
        let end = final ? chunk.endIndex : (chunk.lastIndex(of: 0x0A).map { $0 + 1 } ?? chunk.startIndex)
        let scanned = chunk[chunk.startIndex..<end]
        var matched = ""
        for line in scanned.split(separator: 0x0A, omittingEmptySubsequences: false).dropLast(
            scanned.last == 0x0A || scanned.isEmpty ? 1 : 0)
        {
            let text = String(decoding: line, as: UTF8.self)
            let range = NSRange(text.startIndex..., in: text)
            if expression.firstMatch(in: text, range: range) != nil { matched += text + "\n" }
        }
        return (scanned.count, matched)
    }
}
