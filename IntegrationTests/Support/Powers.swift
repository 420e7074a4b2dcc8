import Foundation
import Testing

/// Powers some tests need from the machine they run on, found out by trying once: a test
/// that lacks one is skipped with one line saying what it needed and why it could not have
/// it (a newcomer who is not root, or runs the tests in a container without extra
/// privileges, still gets a passing run). In CI (`CI=true`) every test must run: there a
/// missing power fails the test, naming it.
enum Power: Sendable {
    /// Running as root: other accounts, sshd as root checking passwords, `setpriv`.
    case root
    /// Mounting file systems (a small tmpfs to fill a disk).
    case mount
    /// Network namespaces and veth pairs (`ip netns`).
    case networkNamespaces
    /// A Docker engine that answers (`docker info`).
    case docker
    /// Starting a single-node Slurm cluster: root, and Debian's Slurm and munge packages.
    case slurm
    /// A headless browser driven over WebDriver: Debian's chromium and chromium-driver.
    case browser

    /// What it is, for the line a skipped test prints.
    var name: String {
        switch self {
        case .root: return "root"
        case .mount: return "mounting a file system"
        case .networkNamespaces: return "network namespaces (ip netns, veth)"
        case .docker: return "a Docker engine"
        case .slurm: return "a Slurm cluster of its own"
        case .browser: return "a headless browser (chromium and chromedriver)"
        }
    }

    /// Why this machine lacks it, or nil when it has it.
    var missing: String? {
        switch self {
        case .root: return Self.rootMissing
        case .mount: return Self.mountMissing
        case .networkNamespaces: return Self.namespacesMissing
        case .docker: return Self.dockerMissing
        case .slurm: return Self.slurmMissing
        case .browser: return Self.browserMissing
        }
    }

    private static let rootMissing: String? = getuid() == 0 ? nil : "this user is not root"

    private static let mountMissing: String? = {
        if let rootMissing { return rootMissing }
        guard let directory = try? TestSSHD.makeTemporaryDirectory() else { return "no temporary directory" }
        defer { rmdir(directory) }
        do {
            try Shell.run("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", directory])
            _ = try? Shell.run("umount", [directory])
            return nil
        } catch {
            return "mount was refused (\(error)); a container needs CAP_SYS_ADMIN for it"
        }
    }()

    private static let namespacesMissing: String? = {
        if let rootMissing { return rootMissing }
        let name = "p-probe-" + UUID().uuidString.prefix(6).lowercased()
        do {
            try Shell.run("ip", ["netns", "add", name])
            _ = try? Shell.run("ip", ["netns", "del", name])
            return nil
        } catch {
            return
                "ip netns was refused (\(error)); it needs iproute2 and, in a container, CAP_SYS_ADMIN and CAP_NET_ADMIN"
        }
    }()

    private static let dockerMissing: String? = {
        do {
            try Shell.run("docker", ["info"])
            return nil
        } catch {
            return "no Docker engine answers (`docker info` failed; .ci/run installs docker.io and starts dockerd)"
        }
    }()

    private static let slurmMissing: String? = {
        if let rootMissing { return rootMissing + " (slurmd starts jobs as their users)" }
        for tool in ["munged", "slurmctld", "slurmd", "sbatch"] where (try? Shell.run("which", [tool])) == nil {
            return "\(tool) is not installed (scripts/test installs slurmctld, slurmd, slurm-client and munge)"
        }
        return nil
    }()

    private static let browserMissing: String? = {
        for tool in [WebDriver.browserPath, WebDriver.driverPath] where access(tool, X_OK) != 0 {
            return "\(tool) is not installed (scripts/test installs chromium and chromium-driver)"
        }
        return nil
    }()

    /// Returns when the machine has this power; otherwise skips the calling test with a line
    /// saying why, or, in CI, fails it.
    func require(for purpose: String) throws {
        guard let missing else { return }
        let message = "needs \(name) (\(purpose)), and " + (missing.split(separator: "\n").first.map(String.init) ?? "")
        if ProcessInfo.processInfo.environment["CI"] == "true" {
            throw TestFailure("CI must run every test, but this one " + message)
        }
        try Test.cancel(Comment(rawValue: "skipped: it " + message))
    }
}
