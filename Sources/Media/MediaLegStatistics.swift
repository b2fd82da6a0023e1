/// Packet counters of one leg, for logs, AMI and tests. A snapshot; counters only grow.
public struct MediaLegStatistics: Sendable, Hashable {
    /// Valid RTP packets accepted from the far end of this leg.
    public var rtpReceived: UInt64 = 0
    /// Valid RTCP packets accepted from the far end of this leg.
    public var rtcpReceived: UInt64 = 0
    /// Packets sent to the far end of this leg: relayed from the bridged leg.
    public var relayedSent: UInt64 = 0
    /// Tone packets sent to the far end of this leg.
    public var toneSent: UInt64 = 0
    /// Datagrams that were not RTP/RTCP version 2 (too short, wrong version, truncated).
    public var droppedMalformed: UInt64 = 0
    /// Valid packets from a source other than the latched one.
    public var droppedWrongSource: UInt64 = 0
    /// Valid packets received while the leg was not bridged.
    public var droppedNotBridged: UInt64 = 0
    /// Packets for the far end while its address is unknown (no SDP, nothing latched).
    public var droppedNoDestination: UInt64 = 0
    /// Packets for the far end dropped because the socket or a cross-loop queue was full.
    public var droppedOverload: UInt64 = 0

    public init() {}

    /// Everything dropped, for a quick health check.
    public var totalDropped: UInt64 {
        droppedMalformed + droppedWrongSource + droppedNotBridged + droppedNoDestination + droppedOverload
    }
}
