import Foundation
import SSHTransport

/// One long-lived exec per worker running `PollServerScript`, for programs that poll
/// often (`p mcp`): a poll is then one line out and one answer back on an open channel,
/// with no channel setup, login or shell start on the worker. Requests to one worker are
/// answered one at a time. A channel that fails is dropped; the caller falls back to a
/// script of its own.
actor PollChannels {
    private final class Channel: @unchecked Sendable {
        // Used only inside the actor.
        let exec: SSHExec
        let lease: SSHSessionPool.Lease
        var buffered: [UInt8] = []
        /// The server's process id on the worker (for diagnostics and tests).
        var serverPID: Int?

        init(exec: SSHExec, lease: SSHSessionPool.Lease) {
            self.exec = exec
            self.lease = lease
        }
    }

    private var channels: [SSHTarget: Channel] = [:]
    private var busy: Set<SSHTarget> = []
    private let waiters = WaitQueue<SSHTarget>()

    /// Asks the worker for up to `maxBytes` of job directory `J`'s log `stream` from `offset`.
    /// - Returns: the control line (as the poll script's trailer) and the bytes.
    func poll(
        _ jobDirectory: String, offset: UInt64, maxBytes: Int, stream: LogStream = .stdout, target: SSHTarget,
        pool: SSHSessionPool
    ) async throws -> (ControlLines, [UInt8]) {
        let request = Request(jobDirectory: jobDirectory, offset: offset, maxBytes: maxBytes, stream: stream)
        return try await pollMany([request], target: target, pool: pool)[0]
    }

    /// One poll of a job's log.
    struct Request: Sendable {
        var jobDirectory: String
        var offset: UInt64
        var maxBytes: Int
        var stream: LogStream = .stdout
    }

    /// Asks the worker about several jobs at once: the requests are written together and the
    /// answers read in order, so many jobs cost the server's work, not a round trip each.
    /// - Returns: per request, in order, the control line and the bytes.
    func pollMany(_ requests: [Request], target: SSHTarget, pool: SSHSessionPool) async throws -> [(
        ControlLines, [UInt8]
    )] {
        guard !requests.isEmpty else { return [] }
        var lines: [UInt8] = []
        for request in requests {
            lines += PollServerScript.request(
                jobDirectory: request.jobDirectory, offset: request.offset, maxBytes: request.maxBytes,
                stream: request.stream)
        }
        return try await exchange(lines, answers: requests.count, target: target, pool: pool) { header in
            PollServerScript.parseAnswerHeader(header)
        }
    }

    /// The worker's load under `root`, with detail, measured by the poll server: one line
    /// out and a few back, where `LoadScript` costs a channel and a shell each time.
    /// - Returns: `LoadScript`'s lines.
    func measure(root: String, target: SSHTarget, pool: SSHSessionPool) async throws -> String {
        let answer = try await exchange(
            PollServerScript.loadRequest(root: root), answers: 1, target: target, pool: pool
        ) { header in
            PollServerScript.parseLoadHeader(header).map { ($0, ()) }
        }
        return String(decoding: answer[0].1, as: UTF8.self)
    }

    /// Writes `lines` (requests) to the worker's poll server and reads `answers` answers,
    /// each a header line (`parse` gives the count of bytes that follow, and what else it
    /// says) and its bytes.
    private func exchange<Header>(
        _ lines: [UInt8], answers count: Int, target: SSHTarget, pool: SSHSessionPool,
        parse: (String) -> (Int, Header)?
    ) async throws -> [(Header, [UInt8])] {
        while busy.contains(target) { try await waiters.wait(for: target) }
        busy.insert(target)
        defer {
            busy.remove(target)
            waiters.resumeNext(for: target)
        }
        let channel = try await channel(for: target, pool: pool)
        do {
            try await channel.exec.write(lines)
            var answers: [(Header, [UInt8])] = []
            answers.reserveCapacity(count)
            for _ in 0..<count {
                let header = try await line(from: channel, host: target.host)
                guard let (count, said) = parse(header) else {
                    throw SSHError.connectionLost(host: target.host, reason: "the poll server answered '\(header)'")
                }
                answers.append((said, try await bytes(count, from: channel, host: target.host)))
            }
            return answers
        } catch {
            channel.exec.close()
            channels[target] = nil
            await pool.release(channel.lease)
            throw error
        }
    }

    /// The process id on the worker of the poll server for `target`, if one runs.
    func serverPID(for target: SSHTarget) -> Int? { channels[target]?.serverPID }

    /// Closes the channels (the engine is closing).
    func close(pool: SSHSessionPool) async {
        for channel in channels.values {
            channel.exec.close()
            await pool.release(channel.lease)
        }
        channels.removeAll()
    }

    private func channel(for target: SSHTarget, pool: SSHSessionPool) async throws -> Channel {
        if let channel = channels[target] { return channel }
        let lease = try await pool.lease(target)
        var started: SSHExec?
        do {
            let token = WorkerLink.newToken()
            let exec = try await lease.session.exec(
                ShellQuote.command(script: RemoteScripts.invocation(PollServerScript.source), arguments: [token]))
            started = exec
            let channel = Channel(exec: exec, lease: lease)
            // Whatever a login file printed comes before the server's own first line.
            while try await line(from: channel, host: target.host) != "p-begin " + token {}
            let announced = try await line(from: channel, host: target.host)
            channel.serverPID = PollServerScript.parseAnnouncement(announced)
            channels[target] = channel
            return channel
        } catch {
            started?.close()
            await pool.release(lease)
            throw error
        }
    }

    private func line(from channel: Channel, host: String) async throws -> String {
        while true {
            if let newline = channel.buffered.firstIndex(of: 0x0A) {
                let line = String(decoding: channel.buffered[..<newline], as: UTF8.self)
                channel.buffered.removeFirst(newline + 1)
                return line
            }
            try await fill(channel, host: host)
        }
    }

    private func bytes(_ count: Int, from channel: Channel, host: String) async throws -> [UInt8] {
        while channel.buffered.count < count { try await fill(channel, host: host) }
        let bytes = Array(channel.buffered.prefix(count))
        channel.buffered.removeFirst(count)
        return bytes
    }

    private func fill(_ channel: Channel, host: String) async throws {
        while true {
            guard let chunk = try await channel.exec.nextChunk() else {
                throw SSHError.connectionLost(host: host, reason: "the poll server ended")
            }
            if chunk.stream == .stdout {
                channel.buffered += chunk.bytes
                return
            }
        }
    }
}
