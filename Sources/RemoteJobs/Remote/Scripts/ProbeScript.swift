import SSHTransport

/// What a worker has, for `p worker register`.
struct ProbeScript: AnsweringScript {
    var arguments: [String] { [] }

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
        return WorkerProbe(
            system: values["os"] ?? "?", architecture: values["arch"] ?? "?", shell: values["shell"] ?? "?",
            rsync: tool("rsync"), hasSetsid: tool("setsid") != nil, tar: tool("tar"), sbatch: tool("sbatch"))
    }

    /// What `p worker register` reports: `key value` lines.
    static let source = [
        #"printf "os %s\n" "$(uname -sr)"; printf "arch %s\n" "$(uname -m)"; printf "shell %s\n" "${SHELL:-/bin/sh}""#,
        #"for t in rsync tar setsid tail nohup sbatch; do printf "has-%s %s\n" $t "$(command -v $t || echo -)"; done"#,
    ].joined(separator: "; ")
}
