import Foundation
import PackagePlugin

/// Builds the worker-side shell programs (`Worker/*.sh` and `Worker/lib/*.sh` of the target)
/// into the target as Swift string constants, so p stays one binary and a worker needs
/// nothing installed, while the scripts stay readable shell files that `shellcheck` reads.
@main
struct EmbedWorkerScripts: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        guard let target = target as? SourceModuleTarget else { return [] }
        let folder = target.directoryURL.appending(path: "Worker")
        var scripts: [URL] = []
        for subfolder in [folder, folder.appending(path: "lib")] {
            scripts += try FileManager.default.contentsOfDirectory(at: subfolder, includingPropertiesForKeys: nil)
                .filter { $0.pathExtension == "sh" }
        }
        scripts.sort { $0.path < $1.path }
        let output = context.pluginWorkDirectoryURL.appending(path: "WorkerScriptFiles.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(scripts.count) worker scripts",
                executable: try context.tool(named: "WorkerScriptEmbedder").url,
                arguments: [output.path, folder.path] + scripts.map(\.path),
                inputFiles: scripts,
                outputFiles: [output])
        ]
    }
}
