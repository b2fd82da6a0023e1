/// Comparison of secrets (passwords, digest responses, MACs, CSRF tokens) in a time that depends only
/// on their lengths, never on where they first differ, so a peer cannot find a secret byte by byte
/// from response times. The one comparison every protocol and the admin panel use.
public enum ConstantTime {
    /// Whether `lhs` and `rhs` have the same UTF-8 bytes; every byte of the shorter one is compared.
    public static func equals(_ lhs: String, _ rhs: String) -> Bool {
        equals(Array(lhs.utf8), Array(rhs.utf8))
    }

    /// Whether `lhs` and `rhs` are the same bytes; every byte of the shorter one is compared.
    public static func equals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        var difference: UInt8 = lhs.count == rhs.count ? 0 : 1
        for index in 0..<min(lhs.count, rhs.count) { difference |= lhs[index] ^ rhs[index] }
        return difference == 0
    }
}
