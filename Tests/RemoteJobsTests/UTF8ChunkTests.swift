import Testing

@testable import RemoteJobs

@Suite("Output chunks as text")
struct UTF8ChunkTests {
    @Test func anIncompleteCharacterWaitsForTheNextPoll() {
        let text = Array("aé✓🚀".utf8)  // 1 + 2 + 3 + 4 bytes
        for cut in 0...text.count {
            let piece = UTF8Chunk.take(text[..<cut], final: false)
            let boundaries = [0, 1, 3, 6, 10]
            #expect(piece.byteCount == boundaries.last { $0 <= cut }, "cut at \(cut)")
            #expect(piece.text == String(decoding: text[..<piece.byteCount], as: UTF8.self))
        }
    }

    @Test func invalidBytesBecomeReplacementsWithoutShiftingOffsets() {
        let bytes: [UInt8] = [0x61, 0xFF, 0x62, 0xC3]
        let running = UTF8Chunk.take(bytes[...], final: false)
        #expect(running.byteCount == 3, "the lone lead byte may still be completed")
        #expect(running.text == "a\u{FFFD}b")
        let ended = UTF8Chunk.take(bytes[...], final: true)
        #expect(ended.byteCount == 4)
        #expect(ended.text == "a\u{FFFD}b\u{FFFD}")
        #expect(UTF8Chunk.take([0x80, 0x80][...], final: false).byteCount == 2, "stray continuation bytes pass")
    }
}
