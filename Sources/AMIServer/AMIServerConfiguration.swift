import AMI
import NIOCore
import NodeSupport
import PBX

/// Tunables of the AMI listener. Defaults are Asterisk's (`manager.conf`) plus Centralino's lockout.
public struct AMIServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// Seconds an unauthenticated connection may stay open (`authtimeout`).
    public var authTimeout: TimeAmount = .seconds(30)
    /// Unauthenticated connections beyond this are closed without a banner (`authlimit`).
    public var authLimit = 50
    /// Unauthenticated connections from one address beyond this are closed without a banner, so one
    /// peer cannot hold the whole `authLimit` (Centralino's; Asterisk has only the global limit).
    public var authLimitPerAddress = 10
    /// AMI connections of any kind beyond this are closed at once. Nil: an eighth of the descriptors
    /// the process may open; `AMIServer.bind` keeps it below the descriptor limit.
    public var maximumConnections: Int?
    /// Actions of one session that may wait for the call engine at once (async Originates); past
    /// this the session stops reading its socket until one finishes (backpressure, nothing is refused).
    public var maximumPendingActions = 32
    /// Bounds on `Hangup Channel: /regex/` patterns and the names they are matched against.
    public var regexLimits = LinearRegex.Limits()
    /// Bounds on a session's event filters (`Filter`, the user's `eventfilter`).
    public var filterLimits = AMIEventFilter.Limits()
    /// What a channel may hold; an Originate carrying more is refused, Setvar past it fails.
    public var variableLimits = ChannelVariables.Limits.standard
    /// Delay before `Authentication failed` (Asterisk's `sleep(1)` in `action_login()`).
    public var authFailureDelay: TimeAmount = .seconds(1)
    /// An event write stalled for longer than this disconnects the session (`writetimeout`).
    public var writeTimeout: TimeAmount = .milliseconds(100)
    /// Events waiting for a session that does not read; one more disconnects it.
    public var eventQueueLimit = 10_000
    public var lockout = LoginGuard.Policy()
    /// Threads of the AMI pattern worker (`AMIPatternWorker`), which runs the sessions' regex event
    /// filters and `Hangup Channel: /regex/` in turns, apart from the event loops and the blocking pool.
    public var patternThreads = 1

    public init(host: String = "127.0.0.1", port: Int = 5038) {
        self.host = host
        self.port = port
    }
}
