import Foundation
import Testing

@testable import SSHTransport

@Suite("The keeper's protocol and what it shares")
struct KeeperProtocolTests {
    @Test func framesAreCutOutWhateverThePiecesSizes() throws {
        let frames = [
            KeeperFrame.encode(.started), KeeperFrame.encode(.stdout, Array("hello".utf8)),
            KeeperFrame.encode(.stderr, [0, 255, 10]), KeeperFrame.encode(.stdout, Array(repeating: 7, count: 70_000)),
            KeeperFrame.encode(.exit, json: SSHExitStatus.exited(3)),
        ]
        let stream = frames.flatMap { $0 }
        #expect(Array(frames[1].prefix(5)) == [11, 0, 0, 0, 5])
        for pieceSize in [1, 2, 5, 7, 4096, stream.count] {
            var reader = KeeperFrameReader()
            var got: [(KeeperFrame.Kind, [UInt8])] = []
            var offset = 0
            while offset < stream.count {
                reader.feed(Array(stream[offset..<min(offset + pieceSize, stream.count)]))
                offset += pieceSize
                while let frame = try reader.next() { got.append(frame) }
            }
            #expect(got.map(\.0) == [.started, .stdout, .stderr, .stdout, .exit])
            #expect(got[1].1 == Array("hello".utf8))
            #expect(got[2].1 == [0, 255, 10])
            #expect(got[3].1.count == 70_000)
            #expect(try JSONDecoder().decode(SSHExitStatus.self, from: Data(got[4].1)) == .exited(3))
            #expect(reader.pendingCount == 0)
        }
    }

    @Test func aBrokenFrameIsAnErrorNotAnAllocation() {
        var unknown = KeeperFrameReader()
        unknown.feed([99, 0, 0, 0, 0])
        #expect(throws: KeeperProtocolError.self) { try unknown.next() }
        var huge = KeeperFrameReader()
        huge.feed([11, 0xFF, 0xFF, 0xFF, 0xFF])
        #expect(throws: KeeperProtocolError.self) { try huge.next() }
    }

    @Test func errorsAndTargetsCrossTheSocketIntact() throws {
        let errors: [SSHError] = [
            .hostKeyChanged(host: "h", keyType: "ssh-ed25519", fingerprint: "SHA256:x", knownHostsFile: "/k"),
            .authenticationFailed(host: "h", user: "u", methodsTried: ["a"], serverMethods: ["publickey"], hint: nil),
            .sftpFailure(host: "h", operation: "o", path: "/p", reason: .other(42), message: "m"),
            .keeperLost(host: "h"),
        ]
        for error in errors {
            let failure = KeeperFailure(error: error, requestSent: true)
            let decoded = try JSONDecoder().decode(KeeperFailure.self, from: JSONEncoder().encode(failure))
            #expect(decoded.error == error)
        }
        var target = SSHTarget(host: "example.org", port: 2222, user: "me", identityFiles: ["/k"])
        target.jumpHosts = [SSHTarget(host: "jump", user: "j")]
        target.connectTimeout = .seconds(3)
        #expect(try JSONDecoder().decode(SSHTarget.self, from: JSONEncoder().encode(target)) == target)
    }

    @Test func sessionsAreSharedOnlyWithTheSameFilesAndAgent() throws {
        let directory = NSTemporaryDirectory() + "keeper-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var target = SSHTarget(host: "h", user: "u", identityFiles: [directory + "/id"])
        target.knownHostsFiles = [directory + "/known_hosts"]
        try "h ssh-ed25519 AAAA\n".write(toFile: directory + "/known_hosts", atomically: false, encoding: .utf8)
        let quick = SSHSessionOptions(connectTimeout: .seconds(5))
        let slow = SSHSessionOptions(connectTimeout: .seconds(10))
        let environment = ["SSH_AUTH_SOCK": "/agent"]
        let first = SSHKeeperConnection(options: quick, target: target, environment: environment)
        // The timeouts of connecting do not matter to a session that is up.
        #expect(first == SSHKeeperConnection(options: slow, target: target, environment: environment))
        #expect(first != SSHKeeperConnection(options: quick, target: target, environment: ["SSH_AUTH_SOCK": "/b"]))
        #expect(
            first
                != SSHKeeperConnection(
                    options: SSHSessionOptions(hostKeyPolicy: .acceptNew), target: target,
                    environment: environment))
        // A known_hosts file that changed (or an identity that appeared) is another connection.
        try "h ssh-ed25519 BBBBB\n".write(toFile: directory + "/known_hosts", atomically: false, encoding: .utf8)
        let changed = SSHKeeperConnection(options: quick, target: target, environment: environment)
        #expect(first != changed)
        try "key".write(toFile: directory + "/id", atomically: false, encoding: .utf8)
        #expect(changed != SSHKeeperConnection(options: quick, target: target, environment: environment))
    }

    @Test func theKeepersPlaceIsPrivate() throws {
        let base = NSTemporaryDirectory() + "keeper-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: base) }
        #expect(SSHKeeperPlace.forUser(environment: ["XDG_RUNTIME_DIR": base]).directory == base + "/p")
        #expect(
            SSHKeeperPlace.forUser(environment: ["TMPDIR": "/var/tmp/"]).directory == "/var/tmp/p-keeper-\(getuid())")
        #expect(SSHKeeperPlace.forUser(environment: ["XDG_RUNTIME_DIR": "relative"]).directory.hasPrefix("/tmp/"))
        let place = SSHKeeperPlace(directory: base + "/p")
        try place.prepare()
        var info = stat()
        #expect(stat(place.directory, &info) == 0 && info.st_mode & 0o777 == 0o700)
        chmod(place.directory, 0o755)
        #expect(throws: SSHKeeperUnavailable.self) { try place.check() }
        chmod(place.directory, 0o700)
        try place.check()
        // A link to a directory is not the directory.
        let link = base + "/link"
        #expect(symlink(place.directory, link) == 0)
        #expect(throws: SSHKeeperUnavailable.self) { try SSHKeeperPlace(directory: link).check() }
    }
}
