/// One permitted network of an AMI user's ACL: an address with a CIDR or dotted mask.
///
/// Written `10.0.0.0/8`, `10.0.0.0/255.0.0.0`, `2001:db8::/32` or a bare address (a host route).
/// IPv4-mapped IPv6 rules are turned into IPv4 rules, as Asterisk's `append_ha_core()` does.
public struct AMIAccessRule: Sendable, Hashable, CustomStringConvertible {
    public let network: IPAddress
    public let mask: [UInt8]
    public let text: String

    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public let entry: String
        public let reason: String
        public var description: String { "invalid ACL entry '\(entry)': \(reason)" }
    }

    public init(parsing entry: String) throws {
        let text = entry.trimmingASCIIWhitespace()
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(String(parts[0])) else {
            throw ParseError(entry: entry, reason: "'\(parts[0])' is not an IPv4 or IPv6 address")
        }
        let width = address.bytes.count * 8
        var mask: [UInt8]
        if parts.count == 1 {
            mask = Self.prefixMask(width, bytes: address.bytes.count)
        } else if let prefix = Int(parts[1]) {
            guard (0...width).contains(prefix), parts[1].allSatisfy(\.isASCIIDigit) else {
                throw ParseError(entry: entry, reason: "prefix length must be 0 to \(width)")
            }
            mask = Self.prefixMask(prefix, bytes: address.bytes.count)
        } else if let dotted = IPAddress(String(parts[1])) {
            guard dotted.family == address.family else {
                throw ParseError(entry: entry, reason: "address and mask are of different families")
            }
            mask = dotted.bytes
        } else {
            throw ParseError(entry: entry, reason: "'\(parts[1])' is neither a prefix length nor a mask")
        }
        var network = address
        let mapped = address.unmapped
        if mapped.family == .v4, address.family == .v6, mask[0..<12].allSatisfy({ $0 == 0xFF }) {
            network = mapped
            mask = Array(mask[12..<16])
        }
        self.network = IPAddress(bytes: zip(network.bytes, mask).map { $0 & $1 })
        self.mask = mask
        self.text = text
    }

    /// True when `address` (already unmapped) lies in this network. Rules of the other family never match.
    public func matches(_ address: IPAddress) -> Bool {
        guard address.family == network.family else { return false }
        for index in 0..<mask.count where address.bytes[index] & mask[index] != network.bytes[index] {
            return false
        }
        return true
    }

    public var description: String { text }

    static func prefixMask(_ prefix: Int, bytes: Int) -> [UInt8] {
        (0..<bytes).map { index in
            let bits = max(0, min(8, prefix - index * 8))
            return bits == 0 ? 0 : UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
        }
    }
}
