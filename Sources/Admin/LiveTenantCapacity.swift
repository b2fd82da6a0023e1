import Foundation

/// What a tenant holds of the node's pools against its effective limits, as the running node
/// reports it (panel tenant page, `/metrics`, the API's status).
public struct LiveTenantCapacity: Sendable, Hashable, Codable {
    public var channels: Int
    public var channelsLimit: Int
    public var rtpPortPairs: Int
    public var rtpPortPairsLimit: Int
    public var amiSessions: Int
    public var amiSessionsLimit: Int
    /// 0 = unlimited.
    public var originatesPerSecondLimit: Int
    /// Refusals since start by limit: `channels`, `rtp_port_pairs`, `ami_sessions`, `originate_rate`.
    public var refusals: [String: Int]

    public init(
        channels: Int, channelsLimit: Int, rtpPortPairs: Int, rtpPortPairsLimit: Int, amiSessions: Int,
        amiSessionsLimit: Int, originatesPerSecondLimit: Int, refusals: [String: Int] = [:]
    ) {
        self.channels = channels
        self.channelsLimit = channelsLimit
        self.rtpPortPairs = rtpPortPairs
        self.rtpPortPairsLimit = rtpPortPairsLimit
        self.amiSessions = amiSessions
        self.amiSessionsLimit = amiSessionsLimit
        self.originatesPerSecondLimit = originatesPerSecondLimit
        self.refusals = refusals
    }
}
