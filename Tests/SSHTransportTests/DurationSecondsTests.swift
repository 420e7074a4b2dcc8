import Testing

@testable import SSHTransport

/// One rounding for every conversion of a duration to seconds.
@Suite("Durations in seconds")
struct DurationSecondsTests {
    @Test func fractionsAndRoundingUp() {
        #expect(Duration.milliseconds(1500).inSeconds == 1.5)
        #expect(Duration.milliseconds(1500).wholeSecondsRoundedUp == 2, "a grace period is never shortened")
        #expect(Duration.seconds(2).wholeSecondsRoundedUp == 2)
        #expect(Duration.zero.wholeSecondsRoundedUp == 0)
        #expect(Duration.milliseconds(-500).wholeSecondsRoundedUp == 0)
    }
}
