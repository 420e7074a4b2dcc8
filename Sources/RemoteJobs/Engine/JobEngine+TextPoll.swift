import Foundation

/// A piece of a job's output as text, for programs that read it as such (`p mcp`'s
/// `poll`): whole characters only, and with a filter only whole matching lines.
public struct TextPoll: Sendable {
    /// The job, as the poll left its record.
    public var record: JobRecord
    /// The text (for a part a capped log dropped, the notice that says so).
    public var text: String
    /// Where the next poll starts: past every byte read or scanned, or past the gap.
    public var newOffset: UInt64
    /// Whether more output is there already.
    public var more: Bool
    /// The log's size when polled.
    public var logSize: UInt64
    /// The part a capped log dropped that the poll stepped over, if it did.
    public var gap: LogGap?
}

extension JobEngine {
    /// The job's output from `since` as text, held for up to `wait` while there is nothing
    /// new and the job runs (`poll(_:since:maxBytes:stream:wait:)`). A character cut by the
    /// end of what was read waits for its rest (unless the job ended), so the offset never
    /// falls inside one; with `filter`, only the complete lines that match (the last one
    /// too once the job ended), the offset counting every byte scanned. A `since` in the
    /// part a capped log dropped answers the notice and the first byte kept after it.
    public func pollText(
        _ idPrefix: String, since: UInt64, maxBytes: Int = 65536, stream: LogStream = .stdout,
        wait: Duration = .zero, filter: LineFilter? = nil
    ) async throws -> TextPoll {
        let deadline = ContinuousClock.now + wait
        while true {
            let result = try await poll(
                idPrefix, since: since, maxBytes: maxBytes, stream: stream,
                wait: max(.zero, deadline - ContinuousClock.now))
            if let gap = result.gap {
                return TextPoll(
                    record: result.record, text: gap.notice(cap: result.record.maxLog) + "\n", newOffset: gap.to,
                    more: result.more, logSize: result.logSize, gap: gap)
            }
            let running = result.record.status.isActive
            let final = !running && !result.more
            let (used, text) =
                filter.map { $0.apply(result.chunk[...], final: final) }
                ?? {
                    let piece = UTF8Chunk.take(result.chunk[...], final: final)
                    return (piece.byteCount, piece.text)
                }()
            // Nothing whole yet (half a character or line) while the job runs: the poll
            // held by the engine ended early on those bytes; wait for the rest.
            if used > 0 || !running || ContinuousClock.now >= deadline {
                return TextPoll(
                    record: result.record, text: text, newOffset: since + UInt64(used),
                    more: result.more || used < result.chunk.count, logSize: result.logSize)
            }
            try await Task.sleep(for: min(.milliseconds(50), deadline - ContinuousClock.now))
        }
    }

    /// The last `lines` lines of the job's output as text (`tail(_:lines:stream:)`); with
    /// `filter`, the last `lines` matching lines among the last `window` bytes.
    public func tailText(
        _ idPrefix: String, lines: Int, stream: LogStream = .stdout, filter: LineFilter? = nil,
        window: Int = 1 << 20
    ) async throws -> TextPoll {
        guard let filter else {
            let result = try await tail(idPrefix, lines: lines, stream: stream)
            return TextPoll(
                record: result.record, text: UTF8Chunk.take(result.chunk[...], final: true).text,
                newOffset: result.newOffset, more: result.more, logSize: result.logSize)
        }
        let size = try await poll(idPrefix, since: 0, maxBytes: 0, stream: stream).logSize
        let start = size > UInt64(window) ? size - UInt64(window) : 0
        let result = try await poll(idPrefix, since: start, maxBytes: window, stream: stream)
        var matching = filter.apply(result.chunk[...], final: true).text.split(
            separator: "\n", omittingEmptySubsequences: false)
        if matching.last == "" { matching.removeLast() }
        return TextPoll(
            record: result.record, text: matching.suffix(lines).map { $0 + "\n" }.joined(),
            newOffset: result.newOffset, more: result.more, logSize: result.logSize)
    }
}
