extension String {
    /// ASCII case-insensitive equality without allocating (header names and action names are ASCII).
    @inlinable
    public func equalsIgnoringASCIICase(_ other: String) -> Bool {
        // Lengths first (O(1) for native strings): most names compared differ in length.
        guard self.utf8.count == other.utf8.count else { return false }
        // Over contiguous bytes (a no-op for native strings, a stack copy for small ones), not the UTF-8 iterator.
        var lhs = self
        var rhs = other
        return lhs.withUTF8 { a in
            rhs.withUTF8 { b in
                for index in 0..<a.count where a[index] != b[index] {
                    if Self.lowerASCII(a[index]) != Self.lowerASCII(b[index]) { return false }
                }
                return true
            }
        }
    }

    @inlinable
    static func lowerASCII(_ byte: UInt8) -> UInt8 {
        (byte >= 0x41 && byte <= 0x5A) ? byte | 0x20 : byte
    }
}
