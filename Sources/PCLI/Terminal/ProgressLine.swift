import Foundation
import SSHTransport

/// One updating line on stderr for long transfers, only when stderr is a terminal, from
/// 0.3 s into the transfer, redrawn at most ten times a second.
final class ProgressLine: @unchecked Sendable {
    // Guarded by `lock`: updates come from the transfer's tasks.
    private let lock = NSLock()
    private var lastDraw = ContinuousClock.now
    private let start = ContinuousClock.now
    private var drawn = false
    let isEnabled = isatty(STDERR_FILENO) == 1

    var update: TransferProgressHandler {
        { [self] progress in draw(progress) }
    }

    private func draw(_ progress: TransferProgress) {
        lock.withLock {
            let now = ContinuousClock.now
            // Nothing for a sync that is over in a moment; then at most ten redraws a second.
            guard now - start > .milliseconds(300),
                now - lastDraw > .milliseconds(100) || progress.bytesDone == progress.bytesTotal
            else { return }
            lastDraw = now
            let elapsed = (now - start).inSeconds
            let rate = elapsed > 0 ? Double(progress.bytesDone) / elapsed : 0
            let line = String(
                format: "\r%d/%d files  %@ / %@  %@/s\u{1B}[K", progress.filesDone, progress.filesTotal,
                Self.bytes(progress.bytesDone), Self.bytes(progress.bytesTotal), Self.bytes(UInt64(rate)))
            FileDescriptorWriter.write(Array(line.utf8), to: STDERR_FILENO)
            drawn = true
        }
    }

    func finish() {
        lock.withLock {
            if drawn { FileDescriptorWriter.write(Array("\r\u{1B}[K".utf8), to: STDERR_FILENO) }
        }
    }

    static func bytes(_ count: UInt64) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var value = Double(count)
        var unit = 0
        while value >= 1000 && unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return unit == 0 ? "\(count) B" : String(format: "%.1f %@", value, units[unit])
    }
}
