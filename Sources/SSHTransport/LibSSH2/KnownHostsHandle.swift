import CLibSSH2
import Foundation

/// libssh2's known_hosts matcher, loaded line by line so that one unparsable line does not
/// hide the rest (`libssh2_knownhost_readfile` stops at the first bad line). Handles plain
/// and hashed (`|1|salt|hash`) entries and `[host]:port` names. Confined to the session's
/// I/O thread (hence the `@unchecked Sendable`).
final class KnownHostsHandle: @unchecked Sendable {
    enum Match {
        case match
        case mismatch
        case notFound
    }

    private let raw: OpaquePointer
    private(set) var skippedLines: [(file: String, line: Int)] = []

    init?(session: SessionHandle) {
        guard let hosts = libssh2_knownhost_init(session.raw) else { return nil }
        raw = hosts
    }

    deinit {
        libssh2_knownhost_free(raw)
    }

    /// Loads every parsable line of `path`; a missing file loads nothing.
    func load(path: String) {
        guard let data = FileManager.default.contents(atPath: path) else { return }
        var number = 0
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            number += 1
            let trimmed = line.drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
            guard !trimmed.isEmpty, trimmed.first != UInt8(ascii: "#") else { continue }
            // libssh2 scans for a terminating NUL as well as using the length.
            let terminated = Array(trimmed) + [UInt8(ascii: "\n"), 0]
            let rc = terminated.withUnsafeBytes { bytes in
                libssh2_knownhost_readline(
                    raw, bytes.baseAddress?.assumingMemoryBound(to: CChar.self), bytes.count - 1,
                    LIBSSH2_KNOWNHOST_FILE_OPENSSH)
            }
            if rc != 0 { skippedLines.append((path, number)) }
        }
    }

    /// Checks a host key. `host` is the bare host name; libssh2 forms `[host]:port` itself
    /// for ports other than 22.
    func check(host: String, port: Int, key: [UInt8], hostKeyType: Int32) -> Match {
        let typeMask = LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW | Self.knownHostKeyBits(hostKeyType)
        let rc = key.withUnsafeBytes { bytes in
            libssh2_knownhost_checkp(
                raw, host, Int32(port), bytes.baseAddress?.assumingMemoryBound(to: CChar.self), bytes.count,
                Int32(typeMask), nil)
        }
        switch rc {
        case LIBSSH2_KNOWNHOST_CHECK_MATCH: return .match
        case LIBSSH2_KNOWNHOST_CHECK_MISMATCH: return .mismatch
        default: return .notFound
        }
    }

    /// The host-key algorithms for which known_hosts holds some key of this host, found by
    /// asking libssh2 to check a dummy key of each type: a mismatch means an entry exists.
    /// This works for hashed entries too, which a text scan could not match.
    func knownHostKeyMethods(host: String, port: Int) -> [String] {
        Self.hostKeyTypes.compactMap { type, methods in
            check(host: host, port: port, key: [0], hostKeyType: type) == .mismatch ? methods : nil
        }.flatMap { $0 }
    }

    /// libssh2's host-key type constants and the algorithms that use each key type.
    private static let hostKeyTypes: [(Int32, [String])] = [
        (LIBSSH2_HOSTKEY_TYPE_ED25519, ["ssh-ed25519"]),
        (LIBSSH2_HOSTKEY_TYPE_ECDSA_256, ["ecdsa-sha2-nistp256"]),
        (LIBSSH2_HOSTKEY_TYPE_ECDSA_384, ["ecdsa-sha2-nistp384"]),
        (LIBSSH2_HOSTKEY_TYPE_ECDSA_521, ["ecdsa-sha2-nistp521"]),
        (LIBSSH2_HOSTKEY_TYPE_RSA, ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"]),
    ]

    /// `LIBSSH2_KNOWNHOST_KEY_*` is the host-key type plus one, shifted.
    private static func knownHostKeyBits(_ hostKeyType: Int32) -> Int32 {
        (hostKeyType + 1) << LIBSSH2_KNOWNHOST_KEY_SHIFT
    }
}
