import Foundation

/// What can be learned from a private key file without decrypting it: its key type and
/// whether it needs a passphrase. Used to ask for a passphrase only when one is needed and
/// to explain why an RSA key was refused.
struct PrivateKeyFile: Equatable {
    enum KeyType: Equatable {
        case ed25519
        case ecdsa
        case rsa
        case dsa
        case unknown
    }

    var keyType: KeyType
    var isEncrypted: Bool

    /// Inspects PEM (`BEGIN RSA PRIVATE KEY`, ...) and OpenSSH (`openssh-key-v1`) formats.
    init(text: String) {
        if text.contains("BEGIN OPENSSH PRIVATE KEY") {
            self = Self.parseOpenSSH(text) ?? PrivateKeyFile(keyType: .unknown, isEncrypted: false)
            return
        }
        isEncrypted = text.contains("ENCRYPTED")
        if text.contains("BEGIN RSA PRIVATE KEY") {
            keyType = .rsa
        } else if text.contains("BEGIN EC PRIVATE KEY") {
            keyType = .ecdsa
        } else if text.contains("BEGIN DSA PRIVATE KEY") {
            keyType = .dsa
        } else {
            keyType = .unknown
        }
    }

    init(keyType: KeyType, isEncrypted: Bool) {
        self.keyType = keyType
        self.isEncrypted = isEncrypted
    }

    /// openssh-key-v1: magic, cipher name, kdf name, kdf options, key count, then the
    /// public key blob (unencrypted), whose first string is the key type.
    private static func parseOpenSSH(_ text: String) -> PrivateKeyFile? {
        let body = text.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        guard let data = Data(base64Encoded: body) else { return nil }
        var reader = SSHWireReader(bytes: [UInt8](data))
        let magic = Array("openssh-key-v1".utf8) + [0]
        guard reader.take(magic.count) == magic,
            let cipher = reader.string(), reader.string() != nil, reader.string() != nil,
            reader.uint32() != nil, let publicBlob = reader.lengthPrefixed()
        else { return nil }
        var blobReader = SSHWireReader(bytes: publicBlob)
        let typeName = blobReader.string() ?? ""
        return PrivateKeyFile(keyType: keyType(named: typeName), isEncrypted: cipher != "none")
    }

    static func keyType(named name: String) -> KeyType {
        switch name {
        case "ssh-ed25519": return .ed25519
        case "ssh-rsa": return .rsa
        case "ssh-dss": return .dsa
        case _ where name.hasPrefix("ecdsa-sha2-"): return .ecdsa
        default: return .unknown
        }
    }
}

/// Reads SSH wire-format fields (RFC 4251): uint32 and length-prefixed strings.
struct SSHWireReader {
    private let bytes: [UInt8]
    private var offset = 0

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    mutating func take(_ count: Int) -> [UInt8]? {
        guard count >= 0, offset + count <= bytes.count else { return nil }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    mutating func uint32() -> UInt32? {
        take(4).map { $0.reduce(0) { $0 << 8 | UInt32($1) } }
    }

    mutating func lengthPrefixed() -> [UInt8]? {
        guard let length = uint32() else { return nil }
        return take(Int(length))
    }

    mutating func string() -> String? {
        lengthPrefixed().map { String(decoding: $0, as: UTF8.self) }
    }
}
