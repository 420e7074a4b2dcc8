import Testing

@testable import SSHTransport

@Suite("Error messages name the host and say what to do")
struct SSHErrorTests {
    @Test(arguments: [
        (SSHError.connectionRefused(host: "box", port: 2222), ["box", "2222", "sshd"]),
        (.nameResolutionFailed(host: "nope.invalid", reason: "Name or service not known"), ["nope.invalid", "DNS"]),
        (.hostUnreachable(host: "10.0.0.9", port: 22, reason: "No route to host"), ["10.0.0.9", "No route"]),
        (.timedOut(host: "box", operation: "exchanging keys", seconds: 1.5), ["box", "1.5 s", "exchanging keys"]),
        (
            .hostKeyUnknown(
                host: "[box]:2222", keyType: "ssh-ed25519", fingerprint: "SHA256:abc", knownHostsFile: "/k"),
            ["[box]:2222", "SHA256:abc", "--accept-new-host-key", "/k"]
        ),
        (
            .hostKeyChanged(host: "box", keyType: "ssh-ed25519", fingerprint: "SHA256:abc", knownHostsFile: "/k"),
            ["HAS CHANGED", "box", "SHA256:abc", "refused", "/k"]
        ),
        (
            .authenticationFailed(
                host: "box", user: "u", methodsTried: ["/k1"], serverMethods: ["publickey"], hint: "RSA!"),
            ["u on box", "/k1", "publickey", "RSA!"]
        ),
        (.identityFileMissing(host: "box", path: "/home/u/.ssh/id_x"), ["/home/u/.ssh/id_x", "IdentityFile"]),
        (.connectionLost(host: "box", reason: "reset"), ["box", "reset"]),
        (
            .channelFailure(
                host: "box", operation: "opening a channel", code: -21, message: "administratively prohibited"),
            ["box", "opening a channel", "administratively prohibited", "-21"]
        ),
        (.configInvalid(file: "/c", line: 3, message: "Port 'x' is bad"), ["/c:3:", "Port 'x'"]),
        (.invalidTarget("a b", reason: "it contains whitespace"), ["'a b'", "whitespace", "user@host"]),
    ])
    func messageMentions(error: SSHError, fragments: [String]) {
        for fragment in fragments {
            #expect(error.description.contains(fragment), "\(error.description) lacks \(fragment)")
        }
    }
}

@Suite("Session options")
struct SSHSessionOptionsTests {
    @Test func livenessFollowsServerAliveSettings() {
        var target = SSHTarget(host: "h")
        target.serverAliveInterval = 5
        target.serverAliveCountMax = 2
        let liveness = SSHSessionOptions().resolvedLiveness(for: target)
        #expect(liveness.deadPeerTimeout == .seconds(10))
        #expect(liveness.keepaliveInterval == .seconds(5))
    }

    @Test func livenessDefaultsToThirtySeconds() {
        let liveness = SSHSessionOptions().resolvedLiveness(for: SSHTarget(host: "h"))
        #expect(liveness.deadPeerTimeout == .seconds(30))
        #expect(liveness.keepaliveInterval == .seconds(10))
        let short = SSHSessionOptions(deadPeerTimeout: .seconds(3)).resolvedLiveness(for: SSHTarget(host: "h"))
        #expect(short.keepaliveInterval == .milliseconds(1500))
    }

    @Test func policyFromConfiguration() {
        var target = SSHTarget(host: "h")
        #expect(isStrict(SSHSessionOptions().resolvedPolicy(for: target)))
        target.strictHostKeyChecking = .acceptNew
        #expect(!isStrict(SSHSessionOptions().resolvedPolicy(for: target)))
        target.strictHostKeyChecking = .ask
        #expect(isStrict(SSHSessionOptions().resolvedPolicy(for: target)))
        #expect(isStrict(SSHSessionOptions(hostKeyPolicy: .strict).resolvedPolicy(for: SSHTarget(host: "h"))))
    }

    private func isStrict(_ policy: SSHHostKeyPolicy) -> Bool {
        if case .strict = policy { return true }
        return false
    }

    @Test func exitStatusShellCodes() {
        #expect(SSHExitStatus.exited(3).shellCode == 3)
        #expect(SSHExitStatus.signaled("KILL", message: "").shellCode == 137)
        #expect(SSHExitStatus.signaled("TERM", message: "").shellCode == 143)
        #expect(SSHExitStatus.unknown.shellCode == nil)
    }
}
