/// One RTP port (always even) and its RTCP companion (RTP + 1), as RFC 3550 §11 recommends.
public struct RTPPortPair: Sendable, Hashable, CustomStringConvertible {
    /// The even port for RTP.
    public let rtp: Int

    /// The odd port for RTCP: `rtp + 1`.
    public var rtcp: Int { rtp + 1 }

    public init(rtp: Int) {
        precondition(rtp % 2 == 0, "RTP ports are even (RFC 3550 §11)")
        self.rtp = rtp
    }

    public var description: String { "\(rtp)/\(rtcp)" }
}
