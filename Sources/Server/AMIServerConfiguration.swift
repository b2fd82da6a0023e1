import NIOCore

/// Tunables of the AMI listener. Defaults are Asterisk's (`manager.conf`) plus Centralino's lockout.
public struct AMIServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// Seconds an unauthenticated connection may stay open (`authtimeout`).
    public var authTimeout: TimeAmount = .seconds(30)
    /// Unauthenticated connections beyond this are closed without a banner (`authlimit`).
    public var authLimit = 50
    /// Delay before `Authentication failed` (Asterisk's `sleep(1)` in `action_login()`).
    public var authFailureDelay: TimeAmount = .seconds(1)
    /// An event write stalled for longer than this disconnects the session (`writetimeout`).
    public var writeTimeout: TimeAmount = .milliseconds(100)
    /// Events waiting for a session that does not read; one more disconnects it.
    public var eventQueueLimit = 10_000
    public var lockout = LoginGuard.Policy()

    public init(host: String = "127.0.0.1", port: Int = 5038) {
        self.host = host
        self.port = port
    }
}
