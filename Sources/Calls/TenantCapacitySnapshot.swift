/// What a tenant holds, for `/metrics` and the panel.
public struct TenantCapacitySnapshot: Sendable, Equatable {
    public var limits: TenantCapacityLimits
    public var channels: Int
    public var rtpPortPairs: Int
    /// Refusals since start by resource (`channels`, `rtp_port_pairs`, `ami_sessions`, `originate_rate`).
    public var refusals: [String: Int]
}
