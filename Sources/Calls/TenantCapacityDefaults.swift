/// The node's defaults for per-tenant limits: shares of the node's own pools.
public struct TenantCapacityDefaults: Sendable, Equatable {
    /// A tenant's default share of each node pool: half (issue 9: "half of the RTP port pairs of
    /// `--rtp-ports` and half of the channel cap"), so another tenant always keeps the other half.
    public static let defaultShareDivisor = 2
    /// The node's channel cap unless `--max-channels` says otherwise (`TenantCapacity.nodeChannelLimit`):
    /// more channels than this and new calls are refused at once (no unbounded queueing).
    public static let defaultNodeChannels = 4000
    /// The highest node channel cap `--max-channels` takes: the channels a shard's call records can
    /// follow at once (`CDRRecorder.maximumParties`).
    public static let maximumNodeChannels = CDRRecorder.maximumParties
    /// AMI sessions per tenant: Asterisk sets no such limit; a CRM holds a few connections, a CTI
    /// server one per agent group. 100 leaves room for that and for the benchmarks, and keeps a
    /// tenant from holding hundreds of descriptors (each session also queues up to 10,000 events).
    public static let defaultAMISessions = 100
    /// No default originate rate limit (0 = unlimited): one tenant must reach the node's throughput.
    public static let defaultOriginatesPerSecond = 0

    public var channels: Int
    public var rtpPortPairs: Int
    public var amiSessions: Int
    /// 0 = unlimited.
    public var originatesPerSecond: Int

    public init(
        channels: Int, rtpPortPairs: Int, amiSessions: Int = Self.defaultAMISessions,
        originatesPerSecond: Int = Self.defaultOriginatesPerSecond
    ) {
        self.channels = channels
        self.rtpPortPairs = rtpPortPairs
        self.amiSessions = amiSessions
        self.originatesPerSecond = originatesPerSecond
    }

    /// Half of the node's channel cap and half of its RTP port pairs (at least one of each).
    public static func shares(
        ofRTPPortPairs nodePairs: Int, nodeChannels: Int = defaultNodeChannels
    ) -> TenantCapacityDefaults {
        TenantCapacityDefaults(
            channels: max(1, nodeChannels / defaultShareDivisor),
            rtpPortPairs: max(1, nodePairs / defaultShareDivisor))
    }
}
