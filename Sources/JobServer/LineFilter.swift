import Foundation

/// `poll`'s `filter`: a regular expression applied to whole lines of a job's output, like
/// the filter agents know from their shell tools. Only complete lines are scanned (the last
/// one too once the job ended), so a line is never judged by half of it, and the offset
/// after a filtered poll counts every byte scanned, matching or not.
struct LineFilter {
    private let expression: NSRegularExpression

    /// - Throws: `ToolError` for a pattern that is not a regular expression.
    init(_ pattern: String) throws(ToolError) {
        do {
            expression = try NSRegularExpression(pattern: pattern)
        } catch {
            throw ToolError("'filter' is not a regular expression: \(pattern)")
        }
    }

    /// The bytes of `chunk` that were scanned (its complete lines, or all of it when
    /// `final`) and the lines among them that match, each with its newline.
    func apply(_ chunk: ArraySlice<UInt8>, final: Bool) -> (scanned: Int, text: String) {
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
