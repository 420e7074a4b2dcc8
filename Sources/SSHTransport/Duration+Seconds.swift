/// The two conversions of a `Duration` p needs, in one place so every caller rounds alike.
/// (From seconds, the standard library's `.seconds(_:)` takes a `Double`.)
extension Duration {
    /// The length in seconds, with its fraction.
    public var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }

    /// Whole seconds, rounded up (a grace period or a timeout is never shortened), at
    /// least 0; for the worker-side scripts, which count in seconds.
    public var wholeSecondsRoundedUp: Int {
        let (seconds, fraction) = (components.seconds, components.attoseconds)
        return max(0, Int(seconds) + (fraction > 0 ? 1 : 0))
    }
}
