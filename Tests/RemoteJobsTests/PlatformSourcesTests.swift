import Foundation
import Testing

/// The client builds on macOS too: the APIs that differ between Linux and Darwin are used
/// only in each module's `Platform.swift`. (No macOS machine builds it here; this keeps the
/// known differences from creeping back into shared code.)
@Suite("Platform differences stay in Platform.swift")
struct PlatformSourcesTests {
    static let linuxOnly = [
        "st_mtim.", "st_atim.", "SOCK_STREAM.rawValue", "MSG_NOSIGNAL", "/proc/self/", "Glibc.", "import Glibc",
        ", environ)", "posix_spawn_file_actions_t()", "posix_spawnattr_t()", "\"/proc/\\(",
    ]

    @Test func noLinuxOnlyCallOutsidePlatformFiles() throws {
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources").path
        let enumerator = try #require(FileManager.default.enumerator(atPath: sources))
        var offenders: [String] = []
        for case let relative as String in enumerator where relative.hasSuffix(".swift") {
            guard !relative.hasSuffix("/Platform.swift") else { continue }
            let text = try String(contentsOfFile: sources + "/" + relative, encoding: .utf8)
            for needle in Self.linuxOnly where text.contains(needle) { offenders.append("\(relative): \(needle)") }
        }
        #expect(offenders.isEmpty, "\(offenders)")
    }
}
