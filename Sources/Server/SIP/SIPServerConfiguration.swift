import NIOCore
import SIP

/// Tunables of the SIP listener and registrar.
public struct SIPServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var registrar = Registrar.Policy()
    /// How often every registered contact is sent an OPTIONS (qualify).
    public var qualifyInterval: TimeAmount = .seconds(60)
    /// How long a nonce stays valid before a `stale=true` challenge.
    public var nonceLifetime: UInt64 = 300
    /// Failed digests per address before it is refused with 403 for a while.
    public var lockout: LoginGuard.Policy = {
        var policy = LoginGuard.Policy()
        policy.failures = 10
        return policy
    }()
    /// A failed digest is answered after this delay (brute force is slowed before it is refused).
    public var failureDelay: TimeAmount = .milliseconds(500)

    public init(host: String = "0.0.0.0", port: Int = 5060) {
        self.host = host
        self.port = port
    }
}
