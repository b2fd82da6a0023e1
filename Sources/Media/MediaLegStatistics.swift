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
    /// Valid packets from a source other than the learnt one, or on strict-RTP probation.
    public var droppedWrongSource: UInt64 = 0
    /// Valid packets received while the leg was not bridged.
    public var droppedNotBridged: UInt64 = 0
    /// Packets for the far end while its address is unknown (no SDP, nothing latched).
    public var droppedNoDestination: UInt64 = 0
    /// Packets for the far end dropped because the socket or a cross-loop queue was full.
    public var droppedOverload: UInt64 = 0

    public init() {}

    /// Adds `other`'s counters to these (engine totals).
    public mutating func add(_ other: MediaLegStatistics) {
        rtpReceived += other.rtpReceived
        rtcpReceived += other.rtcpReceived
        relayedSent += other.relayedSent
        toneSent += other.toneSent
        droppedMalformed += other.droppedMalformed
        droppedWrongSource += other.droppedWrongSource
        droppedNotBridged += other.droppedNotBridged
        droppedNoDestination += other.droppedNoDestination
        droppedOverload += other.droppedOverload
    }

    /// Everything dropped, for a quick health check.
    public var totalDropped: UInt64 {
        droppedMalformed + droppedWrongSource + droppedNotBridged + droppedNoDestination + droppedOverload
    }
}
