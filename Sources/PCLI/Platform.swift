import Foundation

// The differences between Linux (Glibc) and macOS (Darwin) that the CLI meets, in one
// place. Linux is built and tested in CI; the Darwin branch is written for macOS but not
// built here (README, Limits).

enum Platform {
    /// This program's own path (`/proc/self/exe` on Linux, `_NSGetExecutablePath` on
    /// Darwin), or nil when it cannot be told.
    static var executablePath: String? {
        #if canImport(Darwin)
            var size: UInt32 = 0
            _ = _NSGetExecutablePath(nil, &size)
            var buffer = [CChar](repeating: 0, count: Int(size) + 1)
            guard _NSGetExecutablePath(&buffer, &size) == 0 else { return nil }
            return String(cString: buffer)
        #else
            var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
            let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
            return length > 0 ? String(decoding: buffer[..<length], as: UTF8.self) : nil
        #endif
    }
}
