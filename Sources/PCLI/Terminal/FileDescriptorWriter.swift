import Foundation
import SSHTransport

/// Writes bytes straight to a file descriptor (stdout, stderr) without copying them into
/// `Data` first, retrying partial writes and EINTR, and waiting when the descriptor is
/// non-blocking and full (rsync hands its remote shell a non-blocking stdout: dropping
/// bytes there corrupts rsync's protocol).
enum FileDescriptorWriter {
    /// `write(_:to:)` on a thread outside the cooperative pool, for output that may be held
    /// up (a pager the user paused, a full pipe): the caller then waits, and so does the
    /// reading from the worker, but no pool thread does; and Ctrl+C (cancelling the caller)
    /// still ends the wait. Returns false when cancelled or the descriptor is closed.
    @discardableResult
    static func writeAsync(_ bytes: [UInt8], to descriptor: Int32) async -> Bool {
        await BlockingWork.runUnlessCancelled { write(bytes, to: descriptor) } ?? false
    }

    /// Returns false if the descriptor is closed (for example a reader that went away).
    @discardableResult
    static func write(_ bytes: [UInt8], to descriptor: Int32) -> Bool {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Foundation.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    if errno == EAGAIN || errno == EWOULDBLOCK {
                        var ready = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
                        _ = poll(&ready, 1, -1)
                        continue
                    }
                    return false
                }
                offset += written
            }
            return true
        }
    }
}
