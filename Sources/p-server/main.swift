// `p-server`: the servers behind `p mcp` (the Model Context Protocol on stdio) and `p ui` (the
// web dashboard), in one program of their own so that p itself loads neither the MCP SDK
// nor an HTTP server (SwiftNIO, Hummingbird), which cost every command's start-up (the MCP
// SDK's networking alone was about a third of it), and so that the two servers share one copy
// of the Swift runtime and Foundation (the .deb holds two programs, not three). `p mcp` and
// `p ui` check their options and replace themselves with `p-server mcp ...` or
// `p-server ui ...` (same process, same stdin, stdout and terminal).
import Foundation

/// An option `p` should never have passed.
struct ServerFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Writes a line to stdout at once (a program reading the URL gets it at once).
func say(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}

/// Writes a line to stderr.
func complain(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

let words = Array(CommandLine.arguments.dropFirst())
switch words.first {
case "mcp": exit(await MCPMain.run(Array(words.dropFirst())))
case "ui": exit(await UIMain.run(Array(words.dropFirst())))
default:
    complain("p-server: the first argument is mcp or ui (it is started by `p mcp` and `p ui`)")
    exit(2)
}
