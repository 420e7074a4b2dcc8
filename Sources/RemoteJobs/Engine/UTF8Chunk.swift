/// Job output as text for callers that want strings, with offsets that still count the
/// worker's bytes.
public enum UTF8Chunk {
    /// How many of `bytes` to hand over now, and their text. Unless `final` (no more bytes
    /// can follow), a UTF-8 sequence cut off at the end is held back for the next poll, so a
    /// chunk never splits a character; invalid bytes become U+FFFD, one per maximal invalid
    /// run as Swift decodes, while the byte count stays exact.
    public static func take(_ bytes: ArraySlice<UInt8>, final: Bool) -> (text: String, byteCount: Int) {
        let count = final ? bytes.count : completeLength(bytes)
        return (String(decoding: bytes.prefix(count), as: UTF8.self), count)
    }

    /// The length of `bytes` without an incomplete (but so far valid) sequence at its end.
    public static func completeLength(_ bytes: ArraySlice<UInt8>) -> Int {
        let end = bytes.endIndex
        var index = end
        // The last lead byte among the final four.
        while index > bytes.startIndex && end - index < 4 {
            index -= 1
            let byte = bytes[index]
            guard byte & 0xC0 == 0x80 else {
                let needed: Int
                switch byte {
                case 0x00...0x7F: needed = 1
                case 0xC2...0xDF: needed = 2
                case 0xE0...0xEF: needed = 3
                case 0xF0...0xF4: needed = 4
                default: return bytes.count  // not a lead byte: invalid, decoded as U+FFFD
                }
                return end - index < needed ? index - bytes.startIndex : bytes.count
            }
        }
        return bytes.count
    }
}
