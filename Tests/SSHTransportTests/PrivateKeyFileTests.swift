import Foundation
import Testing

@testable import SSHTransport

@Suite("Private key inspection")
struct PrivateKeyFileTests {
    func key(_ name: String) throws -> PrivateKeyFile {
        let url = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        return PrivateKeyFile(text: try String(contentsOfFile: url.path + "/keys/" + name, encoding: .utf8))
    }

    @Test(arguments: [
        ("ed25519_plain", PrivateKeyFile.KeyType.ed25519, false),
        ("ed25519_encrypted", .ed25519, true),
        ("ecdsa_plain", .ecdsa, false),
        ("rsa_pem", .rsa, false),
        ("rsa_pem_encrypted", .rsa, true),
    ])
    func typeAndEncryption(name: String, type: PrivateKeyFile.KeyType, encrypted: Bool) throws {
        let info = try key(name)
        #expect(info.keyType == type)
        #expect(info.isEncrypted == encrypted)
    }

    @Test func garbageIsUnknownNotACrash() {
        #expect(
            PrivateKeyFile(text: "-----BEGIN OPENSSH PRIVATE KEY-----\n!!!\n-----END OPENSSH PRIVATE KEY-----\n")
                .keyType == .unknown)
        #expect(PrivateKeyFile(text: "").keyType == .unknown)
    }

    @Test func wireReaderStopsAtTheEnd() {
        var reader = SSHWireReader(bytes: [0, 0, 0, 9, 65])
        #expect(reader.string() == nil)
        var ok = SSHWireReader(bytes: [0, 0, 0, 2, 104, 105, 0, 0, 0, 7])
        #expect(ok.string() == "hi")
        #expect(ok.uint32() == 7)
        #expect(ok.uint32() == nil)
    }
}
