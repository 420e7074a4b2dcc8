/// Bytes a capped log dropped (`JobRequest.maxLog`): the worker keeps a job's first and most
/// recent output and frees the part between, `from..<to`. Offsets keep counting every byte
/// the command wrote, so a reader whose offset falls in the gap is told once, and goes on
/// at `to`, the first byte kept after it.
public struct LogGap: Sendable, Equatable, Codable {
    /// The first byte dropped.
    public var from: UInt64
    /// The first byte kept after the gap.
    public var to: UInt64

    /// Makes a gap of `from..<to`.
    public init(from: UInt64, to: UInt64) {
        self.from = from
        self.to = to
    }

    /// How many bytes were dropped.
    public var dropped: UInt64 { to - from }

    /// The line a reader of the log sees where the gap is, in place of the bytes:
    /// `[p: 1048576000 bytes dropped here: the log keeps its first and last 5 MB (--max-log 10 MB)]`.
    public func notice(cap: UInt64?) -> String {
        let kept = cap.map { " (--max-log \(ByteSize.format($0)))" } ?? ""
        return "[p: \(dropped) bytes dropped here: the log is capped and keeps its beginning and its end\(kept)]"
    }

    /// The notice as a line of output: on a line of its own (after a newline when the
    /// output before it did not end with one).
    public func noticeBytes(cap: UInt64?, after lastByte: UInt8?) -> [UInt8] {
        (lastByte == nil || lastByte == 0x0A ? [] : [0x0A]) + Array((notice(cap: cap) + "\n").utf8)
    }

    /// Whether a reader at `offset` is in the gap.
    func contains(_ offset: UInt64) -> Bool { offset >= from && offset < to }

    /// What a reader at `offset` skips: the gap from there on, or nil when it is not in it.
    func remaining(from offset: UInt64) -> LogGap? {
        contains(offset) ? LogGap(from: offset, to: to) : nil
    }
}
