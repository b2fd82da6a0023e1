/// Why a tenant was refused: which limit, and its value.
public struct TenantCapacityRefusal: Sendable, Equatable, CustomStringConvertible {
    public enum Resource: String, Sendable, CaseIterable {
        case channels
        case rtpPortPairs = "rtp_port_pairs"
        case amiSessions = "ami_sessions"
        case originateRate = "originate_rate"
    }

    public var resource: Resource
    public var limit: Int

    package init(resource: Resource, limit: Int) {
        self.resource = resource
        self.limit = limit
    }

    /// The sentence an AMI `Message:` or a log line carries.
    public var description: String {
        switch resource {
        case .channels: return "this tenant's limit of \(limit) concurrent channels is reached"
        case .rtpPortPairs: return "this tenant's limit of \(limit) RTP port pairs is reached"
        case .amiSessions: return "this tenant's limit of \(limit) AMI sessions is reached"
        case .originateRate: return "this tenant's limit of \(limit) originates per second is exceeded"
        }
    }
}
