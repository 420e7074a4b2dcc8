/// Extracts the tar stream p sends into a work directory. Run as a plain command (no
/// token, no control lines): its stdin is the archive and its stderr tar's own messages.
struct UntarScript: WorkerScript {
    /// The existing directory to extract into.
    var directory: String

    var arguments: [String] { [directory] }

    /// The command line that runs it.
    var command: String { ShellQuote.command(script: Self.source, arguments: arguments) }

    /// Extracts a tar stream from stdin into the existing directory `$1`, keeping modes and
    /// mtimes (the stream is p's own: see `TarWriter`).
    static let source = #"cd "$1" && exec tar -x -p -f -"#
}
