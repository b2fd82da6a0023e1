/// The RFC 4028 session timer of one dialog, on a caller-supplied clock (microseconds, as the
/// transaction machines). The refresher refreshes at half the interval (§10); the other side, and
/// the refresher whose refresh did not succeed, treat the session as expired at the interval
/// minus min(32 s, interval/3) (§10: "slightly before the session expiration"), and end it with BYE.
public struct SessionTimer: Sendable {
    public enum Action: Sendable, Hashable {
        /// Send a session refresh (re-INVITE or UPDATE) now.
        case refresh
        /// No refresh succeeded in time: end the session with BYE.
        case expire
    }

    private enum State: Sendable {
        case running(due: Int64, action: Action)
        case stopped
    }

    private var state: State
    /// The session interval in force, seconds.
    public private(set) var interval: UInt32
    /// Whether we are the refresher.
    public private(set) var refresher: Bool
    private var lastRefresh: Int64

    /// Starts the timer when the session (or its last refresh) was established at `now`.
    public init(interval: UInt32, refresher: Bool, now: Int64) {
        self.interval = interval
        self.refresher = refresher
        self.lastRefresh = now
        self.state = .stopped
        arm()
    }

    /// A refresh succeeded at `now` (ours got a 2xx, or we answered theirs with one), possibly with
    /// a new interval and refresher.
    public mutating func refreshed(interval: UInt32, refresher: Bool, now: Int64) {
        self.interval = interval
        self.refresher = refresher
        self.lastRefresh = now
        arm()
    }

    /// When the next action is due (nil once stopped).
    public var due: Int64? {
        if case .running(let due, _) = state { return due }
        return nil
    }

    /// The action due at `now`, if any. After `.refresh` the timer waits for the refresh to succeed
    /// until the expiry point; after `.expire` it stops.
    public mutating func fire(now: Int64) -> Action? {
        guard case .running(let due, let action) = state, now >= due else { return nil }
        switch action {
        case .refresh:
            state = .running(due: max(due, expiry), action: .expire)
        case .expire:
            state = .stopped
        }
        return action
    }

    public mutating func stop() {
        state = .stopped
    }

    /// Seconds before expiry at which the session is declared dead: min(32, interval/3) (§10).
    public static func margin(interval: UInt32) -> UInt32 {
        min(32, interval / 3)
    }

    private var expiry: Int64 {
        lastRefresh + Int64(interval - Self.margin(interval: interval)) * 1_000_000
    }

    private mutating func arm() {
        state =
            refresher
            ? .running(due: lastRefresh + Int64(interval) * 500_000, action: .refresh)
            : .running(due: expiry, action: .expire)
    }
}
