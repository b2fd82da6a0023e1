import NIOCore
import SIP

/// Tunables of the SIP listener and registrar.
public struct SIPServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var registrar = Registrar.Policy()
    /// How often every registered contact is sent an OPTIONS (qualify).
    public var qualifyInterval: TimeAmount = .seconds(60)
    /// Digest algorithms offered in a 401, in order, and the only ones accepted. MD5 first by default:
    /// SIPp 3.6 aborts on a leading SHA-256 challenge; some phones (baresip 1.0) give up when any
    /// challenge is not MD5, and pjsua2 answers the first one it supports.
    public var digestAlgorithms: [DigestAlgorithm] = [.md5, .sha256]
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
