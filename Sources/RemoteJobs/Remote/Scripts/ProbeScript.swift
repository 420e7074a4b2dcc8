import SSHTransport

/// What a worker has, for `p worker register`.
struct ProbeScript: AnsweringScript {
    var arguments: KeyValuePairs<String, String> { [:] }

    func answer(stdout: [UInt8], result: ScriptResult, worker: String) throws(RemoteJobsError) -> WorkerProbe {
        guard result.status == .exited(0) else {
            throw .remoteFailure(worker: worker, action: "look around", detail: "the probe ended with \(result.status)")
        }
        return Self.parse(String(decoding: stdout, as: UTF8.self))
    }

    /// The answer: `key value` lines.
    static func parse(_ text: String) -> WorkerProbe {
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let space = line.firstIndex(of: " ") else { continue }
            values[String(line[..<space])] = String(line[line.index(after: space)...])
        }
        func tool(_ name: String) -> String? { values["has-" + name].flatMap { $0 == "-" ? nil : $0 } }
        var probe = WorkerProbe(
            system: values["os"] ?? "?", architecture: values["arch"] ?? "?", shell: values["shell"] ?? "?",
            rsync: tool("rsync"), hasSetsid: tool("setsid") != nil, tar: tool("tar"), sbatch: tool("sbatch"))
        probe.userland = values["userland"].flatMap { ["BusyBox", "GNU"].contains($0) ? $0 : nil }
        probe.signalReset = values["reset"].flatMap { ["env", "perl"].contains($0) ? $0 : nil }
        probe.canCapLogs = values["punch"] == "yes"
        return probe
    }

    /// `Worker/probe.sh`.
    static let repeatable = true
    static let file = "probe.sh"
    static let source = WorkerShell.program(file)
}
