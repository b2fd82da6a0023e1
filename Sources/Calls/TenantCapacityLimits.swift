import PBX
import SIPServer

/// A tenant's effective limits.
public struct TenantCapacityLimits: Sendable, Equatable {
    public var channels: Int
    public var rtpPortPairs: Int
    public var amiSessions: Int
    /// 0 = unlimited.
    public var originatesPerSecond: Int

    init(defaults: TenantCapacityDefaults, own: TenantLimits) {
        channels = own.channels ?? defaults.channels
        rtpPortPairs = own.rtpPortPairs ?? defaults.rtpPortPairs
        amiSessions = own.amiSessions ?? defaults.amiSessions
        originatesPerSecond = own.originatesPerSecond ?? defaults.originatesPerSecond
    }
}
