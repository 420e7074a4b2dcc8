import Foundation

/// Questions asked on the controlling terminal (`/dev/tty`), so they work while stdin and
/// stdout are redirected, and answers typed with echo off never reach a log.
enum TerminalPrompt {
    /// Whether there is a person to ask: stdin is a terminal and `/dev/tty` opens.
    static var isAvailable: Bool {
        guard isatty(STDIN_FILENO) == 1 else { return false }
        let fd = open("/dev/tty", O_RDWR | O_CLOEXEC)
        if fd >= 0 { close(fd) }
        return fd >= 0
    }

    /// Shows `prompt` and reads one line; with `echo` false the typed characters are not
    /// shown. Nil when there is no terminal or input ended.
    static func ask(_ prompt: String, echo: Bool) -> String? {
        let fd = open("/dev/tty", O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        _ = FileDescriptorWriter.write(Array(prompt.utf8), to: fd)
        var saved = termios()
        let hasTermios = tcgetattr(fd, &saved) == 0
        if !echo && hasTermios {
            var quiet = saved
            quiet.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(fd, TCSAFLUSH, &quiet)
        }
        defer {
            if !echo && hasTermios {
                tcsetattr(fd, TCSAFLUSH, &saved)
                _ = FileDescriptorWriter.write([0x0A], to: fd)
            }
        }
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while read(fd, &byte, 1) == 1 {
            if byte == 0x0A { return String(decoding: line, as: UTF8.self) }
            line.append(byte)
        }
        return line.isEmpty ? nil : String(decoding: line, as: UTF8.self)
    }

    /// Asks a yes/no question; only `yes` (or `y`) is yes.
    static func confirm(_ question: String) -> Bool {
        guard let answer = ask(question + " [yes/no] ", echo: true)?.lowercased() else { return false }
        return answer == "yes" || answer == "y"
    }
}
