/// Builds a standard recursive query for one name and type (RFC 1035 §4.1).
public enum DNSQuery {
    /// Longest name in presentation form (RFC 1035 §2.3.4: 255 octets on the wire).
    public static let maximumNameLength = 253
    /// Longest label (RFC 1035 §2.3.4).
    public static let maximumLabelLength = 63

    /// The query's bytes; nil when `name` is not a valid host name (empty label, too long).
    public static func encode(id: UInt16, name: String, type: DNSRecordType) -> [UInt8]? {
        var trimmed = Substring(name)
        if trimmed.hasSuffix(".") { trimmed = trimmed.dropLast() }
        guard !trimmed.isEmpty, trimmed.utf8.count <= maximumNameLength else { return nil }
        var bytes: [UInt8] = [
            UInt8(id >> 8), UInt8(id & 0xFF),
            0x01, 0x00,  // RD: recursion desired
            0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        ]  // one question
        for label in trimmed.split(separator: ".", omittingEmptySubsequences: false) {
            let utf8 = Array(label.utf8)
            guard !utf8.isEmpty, utf8.count <= maximumLabelLength else { return nil }
            bytes.append(UInt8(utf8.count))
            bytes.append(contentsOf: utf8)
        }
        bytes.append(0)
        bytes.append(contentsOf: [UInt8(type.rawValue >> 8), UInt8(type.rawValue & 0xFF), 0x00, 0x01])  // class IN
        return bytes
    }
}
