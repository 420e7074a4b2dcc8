import Testing

@testable import SSHTransport

@Suite("SFTP packets for pipelined uploads")
struct SFTPWireTests {
    @Test func requestsAreFramedAsVersion3Packets() {
        #expect(SFTPWire.initialize() == [0, 0, 0, 5, 1, 0, 0, 0, 3])
        let close = SFTPWire.close(id: 7, handle: [0xAA, 0xBB])
        #expect(close == [0, 0, 0, 11, 4, 0, 0, 0, 7, 0, 0, 0, 2, 0xAA, 0xBB])
        var write: [UInt8] = []
        SFTPWire.appendWrite(id: 1, handle: [9], offset: 1 << 32 | 5, data: [1, 2, 3][...], to: &write)
        #expect(write == [0, 0, 0, 25, 6, 0, 0, 0, 1, 0, 0, 0, 1, 9, 0, 0, 0, 1, 0, 0, 0, 5, 0, 0, 0, 3, 1, 2, 3])
        let open = SFTPWire.open(id: 2, path: Array("a".utf8), permissions: 0o644)
        #expect(open.count == 4 + 1 + 4 + 5 + 4 + 4 + 4)
        #expect(Array(open[14..<18]) == [0, 0, 0, 0x1A], "write, create, truncate")
    }

    @Test func repliesAreReadAcrossChunkBoundaries() throws {
        var reader = SFTPWire.Reader()
        let status: [UInt8] = [0, 0, 0, 19, 101, 0, 0, 0, 4, 0, 0, 0, 2, 0, 0, 0, 2, 0x6E, 0x6F, 0, 0, 0, 0]
        let handle: [UInt8] = [0, 0, 0, 11, 102, 0, 0, 0, 5, 0, 0, 0, 2, 0x68, 0x31]
        let stream = status + handle + [0, 0, 0, 5, 2, 0, 0, 0, 3]
        for byte in stream.prefix(10) { reader.feed([byte]) }
        #expect(try reader.next() == nil)
        reader.feed(Array(stream.dropFirst(10)))
        #expect(try reader.next() == .status(id: 4, code: 2, message: "no"))
        #expect(try reader.next() == .handle(id: 5, [0x68, 0x31]))
        #expect(try reader.next() == .version(3))
        #expect(try reader.next() == nil)
    }

    @Test func nonsenseLengthsAreRefused() {
        var reader = SFTPWire.Reader()
        reader.feed([0xFF, 0xFF, 0xFF, 0xFF, 1])
        #expect(throws: SFTPWire.Malformed.self) { try reader.next() }
    }
}
