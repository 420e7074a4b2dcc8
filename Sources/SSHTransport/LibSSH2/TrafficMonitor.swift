import Foundation

/// What the session's socket has received, observed from libssh2's receive callback: when
/// bytes last arrived, and whether the peer closed the connection. The I/O loop uses it to
/// tell a quiet connection from a dead one, and to know that libssh2 queued packets another
/// channel may be waiting for.
///
/// Confined to the session's I/O thread (the callback runs inside libssh2 calls made there).
final class TrafficMonitor: @unchecked Sendable {
    private(set) var bytesReceived: UInt64 = 0
    private(set) var lastReceive: ContinuousClock.Instant = .now
    private(set) var peerClosed = false
    private(set) var socketError: Int32 = 0
    /// Told at once when the connection ends, before the failing call returns, so that the
    /// session reads as dead by the time any caller sees the error.
    var onConnectionEnd: ((String) -> Void)?

    func record(received count: Int) {
        if count > 0 {
            bytesReceived &+= UInt64(count)
            lastReceive = .now
        } else if count == 0 {
            peerClosed = true
            onConnectionEnd?("the server closed the connection")
        }
    }

    func record(error: Int32) {
        if error != EAGAIN && error != EWOULDBLOCK && error != EINTR {
            socketError = error
            onConnectionEnd?(String(cString: strerror(error)))
        }
    }
}
