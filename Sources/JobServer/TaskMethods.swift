import Foundation
import MCP

// The methods and notification of MCP tasks, which the SDK (0.12.1) does not define. Their
// parameters and results are JSON values, read and written by `JobTasks`, since one method
// answers in two forms: MCP 2025-11-25's experimental tasks and the tasks extension of
// SEP-2663 (`io.modelcontextprotocol/tasks`).

/// A method whose parameters and result are read and written as JSON values.
protocol JSONValueMethod: Method where Parameters == Value, Result == Value {}

/// `tools/call`, in place of the SDK's `CallTool`: the same call, and the `task` parameter
/// (2025-11-25) or the tasks extension in the request's capabilities (SEP-2663) that ask for,
/// or allow, a task in place of the result.
enum TaskAwareCallTool: JSONValueMethod {
    static let name = "tools/call"
}

/// `tools/list`, in place of the SDK's `ListTools`, whose tools have no `execution` field.
enum ToolListWithExecution: Method {
    static let name = "tools/list"
    typealias Parameters = ListTools.Parameters
    typealias Result = Value
}

/// `tasks/get`: a task's state.
enum GetTaskMethod: JSONValueMethod {
    static let name = "tasks/get"
}

/// `tasks/result` (2025-11-25): waits until the task ended and answers what the call would
/// have answered.
enum TaskResultMethod: JSONValueMethod {
    static let name = "tasks/result"
}

/// `tasks/list` (2025-11-25): the tasks of this server.
enum ListTasksMethod: Method {
    static let name = "tasks/list"
    typealias Parameters = ListTools.Parameters
    typealias Result = Value
}

/// `tasks/cancel`: stops the task's job.
enum CancelTaskMethod: JSONValueMethod {
    static let name = "tasks/cancel"
}

/// `tasks/update` (SEP-2663): answers to a task's input requests; p's tasks never ask for
/// input, so it is acknowledged and ignored, as the extension prescribes.
enum UpdateTaskMethod: JSONValueMethod {
    static let name = "tasks/update"
}

/// `notifications/tasks/status`: a task's state after a change.
struct TaskStatusNotification: MCP.Notification {
    static let name = "notifications/tasks/status"
    typealias Parameters = Value
}

extension Value {
    /// The member `key` of an object, nil for anything else.
    subscript(member key: String) -> Value? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    /// A Codable value as a JSON value.
    static func encoding<T: Encodable>(_ value: T) throws -> Value {
        try JSONDecoder().decode(Value.self, from: JSONEncoder().encode(value))
    }
}
