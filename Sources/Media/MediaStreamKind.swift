/// Which socket of a leg a packet belongs to.
public enum MediaStreamKind: Sendable, Hashable, CustomStringConvertible {
    /// The even port: RTP (and RTCP when the far end multiplexes it, RFC 5761).
    case rtp
    /// The odd port: RTCP.
    case rtcp

    public var description: String {
        switch self {
        case .rtp: return "RTP"
        case .rtcp: return "RTCP"
        }
    }
}
