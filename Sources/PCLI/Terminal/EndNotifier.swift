import Foundation
import RemoteJobs

/// `--notify`: tells the user a job ended, on the desktop (`notify-send` on Linux,
/// `osascript` on macOS), or with the terminal's bell where neither is available.
enum EndNotifier {
    /// Notifies that `record` ended (its status and command). Never fails: a notification
    /// that cannot be shown falls back to the bell.
    static func notify(_ record: JobRecord) async {
        let title = "p: job \(record.shortID) \(record.status.display)"
        let body = String(record.command.prefix(200))
        if let notifySend = LocalProgram.find("notify-send"),
            (try? await LocalProgram.run(notifySend, arguments: ["--app-name=p", title, body])) == 0
        {
            return
        }
        if let osascript = LocalProgram.find("osascript"),
            (try? await LocalProgram.run(
                osascript,
                arguments: [
                    "-e", "on run argv", "-e", "display notification (item 2 of argv) with title (item 1 of argv)",
                    "-e", "end run", title, body,
                ])) == 0
        {
            return
        }
        ring()
    }

    /// The bell, on the terminal when there is one, else on stderr.
    private static func ring() {
        let terminal = open("/dev/tty", O_WRONLY | O_NOCTTY)
        let descriptor = terminal >= 0 ? terminal : STDERR_FILENO
        _ = FileDescriptorWriter.write([0x07], to: descriptor)
        if terminal >= 0 { close(terminal) }
    }

    /// After a Ctrl+C detach: a `p wait --notify ID` of its own, in the background, so the
    /// notification still comes when the job ends (stdio to /dev/null, immune to the
    /// terminal's hangup).
    static func notifyInBackground(_ id: String) async {
        guard let p = Platform.executablePath else { return }
        _ = try? await LocalProgram.run(
            "/bin/sh",
            arguments: ["-c", #"nohup "$0" wait --notify "$1" < /dev/null > /dev/null 2>&1 &"#, p, id])
    }
}
