import Foundation

/// The space left on the worker's file system that holds a path.
struct FreeSpaceScript: AnsweringScript {
    var path: String

    var arguments: [String] { [path] }

    /// Kilobytes available; nil when `df` said something else.
    func answer(stdout: [UInt8], result: ScriptResult, worker: String) -> Int? {
        Int(String(decoding: stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// The kilobytes available on the file system holding `$1` (POSIX `df -P`).
    static let source = #"set -- $(df -Pk "$1" 2>/dev/null | tail -n 1); echo "$4""#
}
