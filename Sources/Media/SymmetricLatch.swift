import NIOCore

/// Symmetric RTP (RFC 4961) for one stream of one leg: where to send, and whom to listen to.
///
/// Rules, in order:
/// 1. Until a valid packet arrives, the destination is the address from the far end's SDP
///    (`advertised`), which may be nil (nothing is sent then).
/// 2. The first valid packet latches its real source address: from then on it is the
///    destination, whatever the SDP said (the far end is behind NAT, or lied).
/// 3. Once latched, packets from any other source are rejected.
/// 4. `reset(advertised:)` (a re-INVITE brought new SDP) forgets the latch: rule 1 again.
/// 5. Optionally (`relatchAfterSilence`), if the latched source has been silent that long, a
///    packet from a new source re-latches (a NAT binding that changed mid-call). Off by default,
///    as in Asterisk's `strictrtp=yes`, because it lets a third party take over a silent stream.
///
/// Time is an input: callers pass a monotonic clock in nanoseconds.
public struct SymmetricLatch: Sendable, Hashable {
    /// The address the far end's SDP announced.
    public private(set) var advertised: SocketAddress?
    /// The source address packets are accepted from, once learnt.
    public private(set) var latched: SocketAddress?
    /// When the latched source last sent an accepted packet.
    private var lastAccepted: UInt64 = 0
    /// Silence after which another source may re-latch; nil: never.
    public let relatchAfterSilence: UInt64?

    public init(advertised: SocketAddress? = nil, relatchAfterSilence: UInt64? = nil) {
        self.advertised = advertised
        self.relatchAfterSilence = relatchAfterSilence
    }

    /// Where packets for the far end go: the latched source, else the SDP address.
    public var destination: SocketAddress? { latched ?? advertised }

    /// Whether a source has been learnt.
    public var isLatched: Bool { latched != nil }

    /// A valid packet arrived from `source` at `now`; returns whether to accept it (and latches or
    /// re-latches as the rules say).
    public mutating func accept(from source: SocketAddress, at now: UInt64) -> Bool {
        guard let current = latched else {
            latched = source
            lastAccepted = now
            return true
        }
        if current == source {
            lastAccepted = now
            return true
        }
        if let silence = relatchAfterSilence, now >= lastAccepted, now - lastAccepted >= silence {
            latched = source
            lastAccepted = now
            return true
        }
        return false
    }

    /// New SDP: remember `advertised` and forget what was latched.
    public mutating func reset(advertised: SocketAddress?) {
        self.advertised = advertised
        self.latched = nil
    }
}
