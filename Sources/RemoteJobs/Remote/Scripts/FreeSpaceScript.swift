import Foundation

/// The space left on the worker's file system that holds a path.
struct FreeSpaceScript: AnsweringScript {
    var path: String

    var arguments: KeyValuePairs<String, String> { ["path": path] }

    /// Kilobytes available; nil when `df` said something else.
    func answer(stdout: [UInt8], result: ScriptResult, worker: String) -> Int? {
        Int(String(decoding: stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// `Worker/free-space.sh`.
    static let repeatable = true
    static let file = "free-space.sh"
    static let source = WorkerShell.program(file)
}
