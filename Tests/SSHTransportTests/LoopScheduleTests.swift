import Testing

@testable import SSHTransport

/// The I/O loop's scheduling policy, without a loop, a socket or libssh2.
@Suite("The I/O loop's schedule")
struct LoopScheduleTests {
    typealias Schedule = LoopSchedule<String>
    let sftp = IOLoop.Lane.sftp(ObjectIdentifier(Int.self))

    @Test func onlyTheOldestTaskOfALaneIsStepped() {
        let schedule = Schedule()
        let tasks: [(id: String, lane: IOLoop.Lane?)] = [
            ("open1", .channelSetup), ("read", nil), ("open2", .channelSetup), ("stat", sftp), ("mkdir", sftp),
        ]
        #expect(schedule.tasksToStep(tasks) == [0, 1, 3])
    }

    @Test func aPartlySentPacketIsFinishedByItsOwnerAlone() {
        var schedule = Schedule()
        let tasks: [(id: String, lane: IOLoop.Lane?)] = [("a", nil), ("b", nil), ("c", nil)]
        var round = Schedule.Round()
        #expect(schedule.record(.progressed, of: "a", outboundBlocked: false, into: &round))
        #expect(!schedule.record(.waitingForNetwork, of: "b", outboundBlocked: true, into: &round), "the round stops")
        #expect(schedule.outboundOwner == "b")
        #expect(schedule.tasksToStep(tasks) == [1])
        #expect(schedule.socketEvents(wantInbound: false, outboundBlocked: false) == (false, true))

        var blocked = Schedule.Round()
        _ = schedule.record(.waitingForNetwork, of: "b", outboundBlocked: true, into: &blocked)
        #expect(schedule.outboundOwner == "b" && !blocked.progressed)
        #expect(schedule.next(after: blocked, bytesArrived: true) == .sleep(wantInbound: true), "still its turn alone")

        var sent = Schedule.Round()
        _ = schedule.record(.waitingForNetwork, of: "b", outboundBlocked: false, into: &sent)
        #expect(schedule.outboundOwner == nil && sent.progressed)
        #expect(schedule.tasksToStep(tasks) == [0, 1, 2])
    }

    @Test func anOwnerThatLeavesGivesUpItsTurn() {
        var schedule = Schedule()
        var round = Schedule.Round()
        _ = schedule.record(.waitingForNetwork, of: "b", outboundBlocked: true, into: &round)
        schedule.removed("b")
        #expect(schedule.outboundOwner == nil)
        #expect(schedule.tasksToStep([("a", nil)]) == [0])
    }

    @Test func bytesThatArrivedMeanAnotherRound() {
        let schedule = Schedule()
        var quiet = Schedule.Round()
        quiet.waitingForNetwork = true
        #expect(schedule.next(after: quiet, bytesArrived: false) == .sleep(wantInbound: true))
        #expect(schedule.next(after: quiet, bytesArrived: true) == .stepAgain)
        #expect(schedule.next(after: Schedule.Round(), bytesArrived: false) == .sleep(wantInbound: false))
        var idle = Schedule()
        var consumerBound = Schedule.Round()
        #expect(idle.record(.idle, of: "x", outboundBlocked: false, into: &consumerBound))
        #expect(idle.next(after: consumerBound, bytesArrived: false) == .sleep(wantInbound: false))
    }

    @Test func theLoopSleepsUntilTheEarliestDeadlineAndNeverLong() {
        let now = ContinuousClock.now
        #expect(Schedule.sleepLimit(now: now, nextKeepalive: nil, peerGoneAt: nil, deadlines: []) == .seconds(5))
        #expect(
            Schedule.sleepLimit(
                now: now, nextKeepalive: now + .seconds(3), peerGoneAt: now + .seconds(30),
                deadlines: [now + .milliseconds(250), now + .seconds(1)]) == .milliseconds(250))
        #expect(
            Schedule.sleepLimit(now: now, nextKeepalive: now - .seconds(1), peerGoneAt: nil, deadlines: []) == .zero)
        #expect(Schedule.pollTimeout(.microseconds(1500)) == 2, "rounded up, not woken early")
        #expect(Schedule.pollTimeout(.zero) == 0)
        #expect(Schedule.pollTimeout(.seconds(60)) == 5000)
    }
}
