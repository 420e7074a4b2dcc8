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
        var probe = WorkerProbe(
            system: values["os"] ?? "?", architecture: values["arch"] ?? "?", shell: values["shell"] ?? "?",
            rsync: tool("rsync"), hasSetsid: tool("setsid") != nil, tar: tool("tar"), sbatch: tool("sbatch"))
        probe.userland = values["userland"].flatMap { ["BusyBox", "GNU"].contains($0) ? $0 : nil }
        probe.signalReset = values["reset"].flatMap { ["env", "perl"].contains($0) ? $0 : nil }
        probe.canCapLogs = values["punch"] == "yes"
        return probe
    }

    /// What `p worker register` reports: `key value` lines: the system, the shell, where
    /// the tools p uses are, whose userland `tail` belongs to (`BusyBox`, `GNU`), how the
    /// wrapper can reset signals (`reset env|perl|-`, as `LaunchScript.signalReset`
    /// decides), and whether a file in the home directory can have a hole punched
    /// (`punch yes|no`, what `--max-log` needs).
    static let source = [
        #"printf "os %s\n" "$(uname -sr)"; printf "arch %s\n" "$(uname -m)"; printf "shell %s\n" "${SHELL:-/bin/sh}""#,
        #"for t in rsync tar setsid tail nohup sbatch; do printf "has-%s %s\n" $t "$(command -v $t || echo -)"; done"#,
        #"u=-; case $(tail --help 2>&1 | head -n 1) in *BusyBox*) u=BusyBox ;; *) if tail --version 2>/dev/null | head -n 1 | grep -q GNU; then u=GNU; fi ;; esac; printf "userland %s\n" $u"#,
        LaunchScript.signalReset + #"; printf "reset %s\n" $G"#,
        #"f=.p-probe-punch-$$; k=no; if "# + CappedLog.canPunch(#""$f""#)
            + #"; then k=yes; fi; rm -f "$f"; printf "punch %s\n" $k"#,
    ].joined(separator: "; ")
}
