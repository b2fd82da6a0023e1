/// An SDP `c=` line: `IN IP4 192.0.2.10` (RFC 4566 §5.7).
public struct SDPConnection: Sendable, Hashable, CustomStringConvertible {
    public var networkType: String
    /// `IP4` or `IP6`.
    public var addressType: String
    public var address: String

    public init(networkType: String = "IN", addressType: String = "IP4", address: String) {
        self.networkType = networkType
        self.addressType = addressType
        self.address = address
    }

    init?(_ value: Substring) {
        let parts = SDPSession.fields(value)
        guard parts.count == 3 else { return nil }
        self.init(networkType: String(parts[0]), addressType: String(parts[1]), address: String(parts[2]))
    }

    public var description: String { "\(networkType) \(addressType) \(address)" }
}
