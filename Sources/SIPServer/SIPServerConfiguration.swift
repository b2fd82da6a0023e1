import AMI
import NIOCore
import NodeSupport
import SIP

/// Tunables of the SIP listener and registrar.
public struct SIPServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var registrar = Registrar.Policy()
    /// Networks of the SIP edge proxies (`--sip-trusted-edges`, docs/cluster.md). Only a REGISTER from
    /// inside them has its RFC 3327 `Path` honoured (from anyone else the Path is ignored and the
    /// binding is a direct one), and only a request from them may sign its digest `uri` with the
    /// proxy's own address. Empty (the default): no source is an edge.
    public var trustedEdges: [AMIAccessRule] = []
    /// How often every registered contact is sent an OPTIONS (qualify).
    public var qualifyInterval: TimeAmount = .seconds(60)
    /// Digest algorithms offered in a 401, in order, and the only ones accepted. MD5 first by default:
    /// SIPp 3.6 aborts on a leading SHA-256 challenge; some phones (baresip 1.0) give up when any
    /// challenge is not MD5, and pjsua2 answers the first one it supports.
    public var digestAlgorithms: [DigestAlgorithm] = [.md5, .sha256]
    /// How long a nonce stays valid before a `stale=true` challenge.
    public var nonceLifetime: UInt64 = 300
    /// Failed digests per address (any accounts) before it is refused with 403 for a while, and per
    /// (address, account) before that account is refused from there.
    public var lockout: LoginGuard.Policy = {
        var policy = LoginGuard.Policy()
        policy.failures = 10
        policy.accountFailures = 5
        return policy
    }()
    /// A failed digest is answered after this delay (brute force is slowed before it is refused).
    public var failureDelay: TimeAmount = .milliseconds(500)
    /// SIP/TCP connections open at once, in total and from one source address; more are closed at
    /// once. Defaults are shares of the descriptor limit (`DescriptorBudget`).
    public var tcpMaximumConnections = DescriptorBudget(limit: DescriptorBudget.lowLimit).sipTCPConnections
    public var tcpMaximumConnectionsPerAddress = DescriptorBudget(limit: DescriptorBudget.lowLimit).sipTCPConnectionsPerAddress
    /// A TCP connection that has not sent a valid SIP message this long after it opened is closed
    /// (idle or garbage-sending connections cannot hold descriptors).
    public var tcpSetupTimeout: TimeAmount = .seconds(30)
    /// A TCP connection that did send a valid message is closed after this long without receiving
    /// anything (a CRLF keep-alive counts), unless a registration through it is still valid.
    public var tcpIdleTimeout: TimeAmount = .minutes(5)

    /// Transactions (and 2xx retransmissions) the call driver keeps at once. Each lives at most
    /// 64·T1 = 32 s; beyond the cap a new request from a peer is answered once, without server
    /// transaction state (its retransmissions are handled as new requests). 100,000 is the
    /// registrar's response cache size: a flood of 3,000 requests/s for 32 s.
    public var maximumTransactions = 100_000

    /// `SO_RCVBUF` of each SIP UDP socket in bytes (`--sip-udp-receive-buffer`): what the kernel
    /// holds for a socket whose loop is busy before it drops datagrams. Its default (~208 KB) lost
    /// datagrams in bursts of a few hundred calls per second; the kernel caps the request at
    /// `net.core.rmem_max` (docs/operations.md). Zero keeps the kernel's default.
    public var udpReceiveBufferSize = 4 * 1024 * 1024

    /// The DNS server trunk SRV lookups (RFC 3263) go to (`--dns-server`); nil: the first
    /// `nameserver` of /etc/resolv.conf at port 53.
    public var dnsServer: SocketAddress?
    /// How long one DNS query waits for its answer (`--dns-timeout-ms`; sent twice) and how many names
    /// the DNS cache keeps (`--dns-cache-entries`), see `SIPHostResolver`.
    public var dnsTimeout: TimeAmount = SIPHostResolver.defaultQueryTimeout
    public var dnsCacheEntries = SIPHostResolver.defaultMaximumCacheEntries

    /// How often every UDP contact is sent a CRLFCRLF keep-alive datagram to hold its NAT binding
    /// open (`--sip-keepalive-interval`, default 30 s: many NATs drop an idle UDP mapping after
    /// 30–60 s although RFC 4787 §4.3 asks for 2 minutes); nil or zero turns it off.
    public var keepAliveInterval: TimeAmount? = .seconds(30)

    /// RFC 4028 session timers of calls (`--sip-session-expires`, `--sip-min-se`).
    public var sessionTimers = SessionTimerPolicy()

    public init(host: String = "0.0.0.0", port: Int = 5060) {
        self.host = host
        self.port = port
    }
}
