import Foundation

/// Two test hosts in network namespaces of the tests' own, chained so that this machine
/// reaches the first ("jump") but not the second ("inner"), which only the first reaches:
///
///     this machine 10.231.N.1 ── 10.231.N.2 jump 10.232.N.1 ── 10.232.N.2 inner
///
/// The jump namespace does not forward packets, so the inner host is unreachable from here.
/// Needs root and iproute2; everything is removed by `remove()`.
final class JumpTopology: @unchecked Sendable {
    let jumpNamespace: String
    let innerNamespace: String
    let jumpAddress: String
    let innerAddress: String
    private let hostLink: String

    init() throws {
        let n = Int.random(in: 1...250)
        let tag = String(UUID().uuidString.prefix(6)).lowercased()
        jumpNamespace = "pj-\(tag)"
        innerNamespace = "pi-\(tag)"
        jumpAddress = "10.231.\(n).2"
        innerAddress = "10.232.\(n).2"
        hostLink = "ph\(tag)"
        let commands: [[String]] = [
            ["netns", "add", jumpNamespace],
            ["netns", "add", innerNamespace],
            ["link", "add", hostLink, "type", "veth", "peer", "name", "pj\(tag)"],
            ["link", "set", "pj\(tag)", "netns", jumpNamespace],
            ["link", "add", "pk\(tag)", "type", "veth", "peer", "name", "pi\(tag)"],
            ["link", "set", "pk\(tag)", "netns", jumpNamespace],
            ["link", "set", "pi\(tag)", "netns", innerNamespace],
            ["addr", "add", "10.231.\(n).1/30", "dev", hostLink],
            ["link", "set", hostLink, "up"],
            ["-n", jumpNamespace, "addr", "add", "\(jumpAddress)/30", "dev", "pj\(tag)"],
            ["-n", jumpNamespace, "addr", "add", "10.232.\(n).1/30", "dev", "pk\(tag)"],
            ["-n", jumpNamespace, "link", "set", "pj\(tag)", "up"],
            ["-n", jumpNamespace, "link", "set", "pk\(tag)", "up"],
            ["-n", jumpNamespace, "link", "set", "lo", "up"],
            ["-n", innerNamespace, "addr", "add", "\(innerAddress)/30", "dev", "pi\(tag)"],
            ["-n", innerNamespace, "link", "set", "pi\(tag)", "up"],
            ["-n", innerNamespace, "link", "set", "lo", "up"],
        ]
        do {
            for command in commands { try Shell.run("ip", command) }
        } catch {
            remove()
            throw error
        }
    }

    func remove() {
        _ = try? Shell.run("ip", ["link", "del", hostLink])
        _ = try? Shell.run("ip", ["netns", "del", jumpNamespace])
        _ = try? Shell.run("ip", ["netns", "del", innerNamespace])
    }
}
