/// The I/O loop's scheduling policy as a value, with no thread, socket or libssh2 in it:
/// which tasks a round steps, what their outcomes make of the round, whether the loop
/// steps again or sleeps, and for how long and on what. `IOLoop` does what it says.
///
/// The rules (see `IOLoop`): only the oldest task of a lane is stepped; a task that left a
/// packet partly sent (the session blocks on outbound) is the only one stepped until the
/// packet is out; a round in which bytes arrived is followed by another, since a call may
/// have read packets meant for another task into libssh2's queue.
struct LoopSchedule<TaskID: Hashable> {
    /// What a round of steps amounted to.
    struct Round: Equatable {
        /// Some task finished or moved data.
        var progressed = false
        /// Some task waits for the socket.
        var waitingForNetwork = false
        /// The round stepped only the owner of a partly-sent packet.
        var ownerOnly = false
    }

    /// What the loop does after a round.
    enum Next: Equatable {
        /// Step the tasks again at once.
        case stepAgain
        /// Sleep in `poll()`, on the session's socket for reading too when `wantInbound`.
        case sleep(wantInbound: Bool)
    }

    /// The task whose partly-sent packet must go out before any other task is stepped.
    private(set) var outboundOwner: TaskID?

    /// The tasks to step this round, as positions in `tasks` (oldest first), in order: the
    /// outbound owner alone when there is one; otherwise every task, except that of each
    /// lane only the oldest.
    func tasksToStep(_ tasks: [(id: TaskID, lane: IOLoop.Lane?)]) -> [Int] {
        if let owner = outboundOwner { return tasks.firstIndex { $0.id == owner }.map { [$0] } ?? [] }
        var busyLanes: Set<IOLoop.Lane> = []
        return tasks.indices.filter { index in
            guard let lane = tasks[index].lane else { return true }
            return busyLanes.insert(lane).inserted
        }
    }

    /// Takes one stepped task's outcome into `round`; `outboundBlocked` is whether the
    /// session now waits to send.
    /// - Returns: whether the round goes on to the next task (false: this task left a
    ///   packet partly sent, or it was the owner's round).
    mutating func record(
        _ outcome: LoopTask.Outcome, of task: TaskID, outboundBlocked: Bool, into round: inout Round
    ) -> Bool {
        if outboundOwner == task {
            if outcome != .waitingForNetwork || !outboundBlocked { outboundOwner = nil }
            round.ownerOnly = true
            round.progressed = outcome != .waitingForNetwork || outboundOwner == nil
            round.waitingForNetwork = true
            return false
        }
        switch outcome {
        case .done, .progressed:
            round.progressed = true
        case .waitingForNetwork:
            round.waitingForNetwork = true
            if outboundBlocked {
                outboundOwner = task
                return false
            }
        case .idle:
            break
        }
        return true
    }

    /// A task left the loop (finished, failed or cancelled): it owns nothing any more.
    mutating func removed(_ task: TaskID) {
        if outboundOwner == task { outboundOwner = nil }
    }

    /// Every task was failed at once.
    mutating func removedAll() { outboundOwner = nil }

    /// What follows `round`, given whether bytes arrived during it.
    func next(after round: Round, bytesArrived: Bool) -> Next {
        if round.progressed || (bytesArrived && !round.ownerOnly) { return .stepAgain }
        return .sleep(wantInbound: round.waitingForNetwork)
    }

    /// The `poll()` events on the session's socket: reading when a task waits for the
    /// network, writing while a packet is partly sent.
    func socketEvents(wantInbound: Bool, outboundBlocked: Bool) -> (read: Bool, write: Bool) {
        (wantInbound, outboundOwner != nil || outboundBlocked)
    }

    /// How long to sleep at most: until the earliest of the next keepalive, the moment the
    /// peer counts as gone, and any task's deadline; never past 5 s, so a stalled wake-up
    /// cannot stall the loop for long.
    static func sleepLimit<Instant: InstantProtocol>(
        now: Instant, nextKeepalive: Instant?, peerGoneAt: Instant?, deadlines: [Instant]
    ) -> Duration where Instant.Duration == Duration {
        var wakeAt = now.advanced(by: .seconds(5))
        for instant in [nextKeepalive, peerGoneAt].compactMap({ $0 }) + deadlines { wakeAt = min(wakeAt, instant) }
        return max(.zero, now.duration(to: wakeAt))
    }

    /// `limit` as `poll()`'s timeout: whole milliseconds, rounded up so the loop never wakes
    /// just before a deadline and sleeps again.
    static func pollTimeout(_ limit: Duration) -> Int32 {
        let (seconds, attoseconds) = limit.components
        let milliseconds = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(clamping: min(max(milliseconds, 0), 5000))
    }
}
