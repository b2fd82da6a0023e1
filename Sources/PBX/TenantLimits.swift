/// A tenant's own capacity limits. Each is optional: nil means the node's default for that limit
/// (a share of the node's pools, see `serve --tenant-*` flags), so one tenant cannot exhaust what
/// every tenant shares.
public struct TenantLimits: Sendable, Hashable {
    /// Concurrent channels (SIP legs and Local halves) the tenant may hold.
    public var channels: Int?
    /// RTP/RTCP port pairs (one per media leg) the tenant may hold.
    public var rtpPortPairs: Int?
    /// Authenticated AMI sessions the tenant's users may hold together.
    public var amiSessions: Int?
    /// Originate actions per second (a token bucket with a burst of one second's worth); 0 = unlimited.
    public var originatesPerSecond: Int?

    /// The largest value any limit accepts: far above any node's pools, small enough that sums never overflow.
    public static let maximumValue = 1_000_000

    public init(channels: Int? = nil, rtpPortPairs: Int? = nil, amiSessions: Int? = nil, originatesPerSecond: Int? = nil) {
        self.channels = channels
        self.rtpPortPairs = rtpPortPairs
        self.amiSessions = amiSessions
        self.originatesPerSecond = originatesPerSecond
    }

    /// Every limit by its key (as YAML, forms and JSON name it), with the smallest value it accepts.
    public enum Key: String, Sendable, CaseIterable {
        case channels
        case rtpPortPairs = "rtp_port_pairs"
        case amiSessions = "ami_sessions"
        case originatesPerSecond = "originates_per_second"

        /// Counts must allow at least one; the rate may be 0 (unlimited).
        public var minimum: Int { self == .originatesPerSecond ? 0 : 1 }

        /// What a value outside the range is told.
        public var explanation: String {
            self == .originatesPerSecond
                ? "must be a whole number from 0 (unlimited) to \(TenantLimits.maximumValue)"
                : "must be a whole number from 1 to \(TenantLimits.maximumValue)"
        }
    }

    public subscript(_ key: Key) -> Int? {
        get {
            switch key {
            case .channels: return channels
            case .rtpPortPairs: return rtpPortPairs
            case .amiSessions: return amiSessions
            case .originatesPerSecond: return originatesPerSecond
            }
        }
        set {
            switch key {
            case .channels: channels = newValue
            case .rtpPortPairs: rtpPortPairs = newValue
            case .amiSessions: amiSessions = newValue
            case .originatesPerSecond: originatesPerSecond = newValue
            }
        }
    }

    /// Parses one limit as written in YAML or a form: decimal digits only, within the key's range.
    /// Returns nil for anything else (never traps on huge or odd input).
    public static func parse(_ text: String, for key: Key) -> Int? {
        guard !text.isEmpty, text.count <= 7, text.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(text),
            (key.minimum...maximumValue).contains(value)
        else { return nil }
        return value
    }

    /// Whether `value` is acceptable for `key`.
    public static func accepts(_ value: Int, for key: Key) -> Bool {
        (key.minimum...maximumValue).contains(value)
    }
}
