/// Extracts the tar stream p sends into a work directory. Run as a plain command (no
/// token, no control lines): its stdin is the archive and its stderr tar's own messages.
struct UntarScript: WorkerScript {
    /// The existing directory to extract into.
    var directory: String

    var arguments: KeyValuePairs<String, String> { ["directory": directory] }

    /// The command line that runs it.
    var command: String { ShellQuote.command(script: Self.source, arguments: words) }

    /// `Worker/untar.sh`.
    static let file = "untar.sh"
    static let source = WorkerShell.program(file)
}
