#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How many file descriptors the process may open (`RLIMIT_NOFILE`), and the shares of it that the
/// listeners may spend on peer connections, so that no one kind of peer can take the descriptors
/// another needs (1,100 idle SIP/TCP connections under a 1,024 limit once made AMI logins and
/// `/healthz` fail for everyone).
///
/// Read once at start with `current()`; the shares are the defaults of the connection-cap flags.
public struct DescriptorBudget: Sendable, Equatable {
    /// Below this limit `serve` warns at start (a busy node needs descriptors for RTP sockets, two per
    /// call leg, and for every TCP peer).
    public static let lowLimit = 4096
    /// Descriptors kept for everything that is not a peer connection: listeners, the store and its
    /// journal, event-loop epoll/eventfd pairs, log files, `routeSource` probes.
    public static let reserved = 64
    /// The soft limit is raised towards the hard one at start, but not beyond this.
    public static let raiseCeiling = 1 << 20

    /// The soft `RLIMIT_NOFILE` in effect.
    public let limit: Int

    public init(limit: Int) {
        self.limit = max(0, limit)
    }

    /// The process's limit, after raising the soft limit to the hard one (up to `raiseCeiling`), as
    /// Go and many servers do at start: the hard limit is what the operator allowed.
    public static func current(raiseSoftLimit: Bool = true) -> DescriptorBudget {
        var limits = rlimit()
        guard getrlimit(Self.resourceNOFILE, &limits) == 0 else { return DescriptorBudget(limit: Self.lowLimit) }
        if raiseSoftLimit, limits.rlim_cur < limits.rlim_max {
            var raised = limits
            raised.rlim_cur = min(limits.rlim_max, rlim_t(Self.raiseCeiling))
            if raised.rlim_cur > limits.rlim_cur, setrlimit(Self.resourceNOFILE, &raised) == 0 { limits = raised }
        }
        return DescriptorBudget(limit: limits.rlim_cur >= rlim_t(Int.max) ? Int.max : Int(limits.rlim_cur))
    }

    #if canImport(Glibc)
    private static let resourceNOFILE = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
    private static let resourceNOFILE = RLIMIT_NOFILE
    #endif

    /// Descriptors for peer connections and media sockets.
    public var available: Int { max(0, limit - Self.reserved) }

    /// Default global cap of SIP/TCP connections: a quarter of what is available (the rest is for
    /// RTP sockets, AMI and HTTP).
    public var sipTCPConnections: Int { max(8, available / 4) }
    /// Default cap of SIP/TCP connections from one source address: a quarter of the global cap, at most
    /// 64 (a NAT with many TCP phones needs the flag raised).
    public var sipTCPConnectionsPerAddress: Int { max(2, min(64, sipTCPConnections / 4)) }
    /// Default global cap of AMI connections: an eighth of what is available.
    public var amiConnections: Int { max(8, available / 8) }
    /// Default global cap of HTTP connections (panel and REST API): an eighth of what is available.
    public var httpConnections: Int { max(8, available / 8) }
    /// Default cap of HTTP connections from one source address.
    public var httpConnectionsPerAddress: Int { max(2, min(64, httpConnections / 4)) }

    /// Whether the limit is below `lowLimit`.
    public var isLow: Bool { limit < Self.lowLimit }

    /// The start-up warning when the limit is low, nil otherwise.
    public var warning: String? {
        guard isLow else { return nil }
        return "warning: the file descriptor limit is \(limit) (below \(Self.lowLimit)); connection caps are derived from it. "
            + "Raise it (ulimit -n 65536, or LimitNOFILE= in the systemd unit)."
    }
}
