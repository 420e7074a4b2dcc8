/// An exec's output waiting for its reader, as a value: stdout and stderr buffered apart,
/// handed over a whole stream's worth at a time, alternating so neither starves; bounded,
/// so a reader that falls behind stops the reading (the SSH window then closes and the
/// server waits), unless the output is being discarded.
struct OutputBuffers: Equatable {
    /// Above this many buffered bytes, nothing more is read until the reader takes some.
    static let highWater = 1 << 20

    private var stdout: [UInt8] = []
    private var stderr: [UInt8] = []
    private var stderrNext = false
    /// Output nobody will read (the exit status was asked for, or the exec abandoned):
    /// dropped as it arrives, and read without limit so the command can finish.
    private(set) var discarding = false

    /// Bytes waiting.
    var count: Int { stdout.count + stderr.count }
    var isEmpty: Bool { stdout.isEmpty && stderr.isEmpty }

    /// Whether more may be read now.
    var wantsMore: Bool { discarding || count < Self.highWater }

    mutating func append(_ bytes: UnsafeRawBufferPointer, from stream: SSHStream) {
        guard !discarding else { return }
        switch stream {
        case .stdout: stdout.append(contentsOf: bytes)
        case .stderr: stderr.append(contentsOf: bytes)
        }
    }

    /// Drops what is buffered and everything that comes later.
    mutating func discard() {
        discarding = true
        stdout.removeAll()
        stderr.removeAll()
    }

    /// All buffered bytes of one stream: stderr when it is its turn (or stdout is empty),
    /// else stdout; nil when nothing waits.
    mutating func takeChunk() -> SSHOutputChunk? {
        guard !isEmpty else { return nil }
        let takeStderr = stderrNext && !stderr.isEmpty || stdout.isEmpty
        stderrNext.toggle()
        var bytes: [UInt8] = []
        if takeStderr {
            swap(&bytes, &stderr)
            return SSHOutputChunk(stream: .stderr, bytes: bytes)
        }
        swap(&bytes, &stdout)
        return SSHOutputChunk(stream: .stdout, bytes: bytes)
    }
}
