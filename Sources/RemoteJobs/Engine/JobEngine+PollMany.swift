import Foundation

/// One poll among many (`JobEngine.pollMany`): a job, where to read its output from, and
/// how much (0 for its status alone).
struct JobPollRequest: Sendable {
    var record: JobRecord
    var since: UInt64
    var maxBytes: Int
}

extension JobEngine {
    /// Polls many jobs at once: the workers in parallel, and on each SSH worker all its jobs
    /// in one exchange with its poll server (the requests written together, the answers read
    /// in order), so a watch over hundreds of jobs costs one long-lived exec per worker and
    /// no round trip per job. A worker that cannot be asked leaves its jobs out of the
    /// answer; the caller asks again next time.
    /// - Returns: the answers by job id.
    func pollMany(_ requests: [JobPollRequest]) async -> [String: JobPoll] {
        let byWorker = Dictionary(grouping: requests, by: \.record.worker)
        return await withTaskGroup(of: [String: JobPoll].self) { group in
            for requests in byWorker.values {
                group.addTask { await self.pollOneWorker(requests) }
            }
            var all: [String: JobPoll] = [:]
            for await answers in group { all.merge(answers) { $1 } }
            return all
        }
    }

    /// `pollMany` for the jobs of one worker.
    private func pollOneWorker(_ requests: [JobPollRequest]) async -> [String: JobPoll] {
        var answers: [String: JobPoll] = [:]
        var asked: [JobPollRequest] = []
        for request in requests {
            if case .syncing = request.record.status {
                // Being prepared on this machine: only its record here can say it started
                // since, so it is read again (a poll of its own asks the worker once it has).
                if let poll = try? await poll(request.record.id, since: request.since, maxBytes: request.maxBytes) {
                    answers[request.record.id] = poll
                }
            } else {
                asked.append(request)
            }
        }
        guard let first = asked.first, let link = try? await link(of: first.record) else { return answers }
        if let ssh = link.ssh,
            let replies = try? await pollChannels.pollMany(
                asked.map {
                    PollChannels.Request(
                        jobDirectory: Self.jobDirectory($0.record), offset: $0.since, maxBytes: $0.maxBytes)
                }, target: ssh.target, pool: ssh.pool)
        {
            for (request, reply) in zip(asked, replies) {
                let result = ScriptResult(status: .exited(0), control: reply.0)
                if let poll = try? await jobPoll(request.record, since: request.since, chunk: reply.1, result: result) {
                    answers[request.record.id] = poll
                }
            }
            return answers
        }
        // Out of reach: asked again at the next look, not once per job now.
        guard link.ssh == nil else { return answers }
        // No poll server (a local worker): a poll each.
        for request in asked {
            if let poll = try? await poll(request.record.id, since: request.since, maxBytes: request.maxBytes) {
                answers[request.record.id] = poll
            }
        }
        return answers
    }
}
