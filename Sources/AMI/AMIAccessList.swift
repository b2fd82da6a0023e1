/// The networks an AMI user may log in from. Everything else is denied.
///
/// Centralino keeps Asterisk's `deny=0.0.0.0/0` + `permit=` idiom as a plain permit list (the shape
/// the admin panel edits). An empty list permits nothing.
public struct AMIAccessList: Sendable, Hashable {
    public let rules: [AMIAccessRule]

    public init(rules: [AMIAccessRule]) {
        self.rules = rules
    }

    /// Parses every entry, failing on the first invalid one.
    public init(parsing entries: [String]) throws {
        self.rules = try entries.map { try AMIAccessRule(parsing: $0) }
    }

    /// True when the client address (IPv4, IPv6 or IPv4-mapped IPv6 text) is in a permitted network.
    public func permits(_ clientAddress: String) -> Bool {
        guard let address = IPAddress(clientAddress)?.unmapped else { return false }
        return rules.contains { $0.matches(address) }
    }
}
