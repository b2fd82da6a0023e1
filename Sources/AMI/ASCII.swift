extension String {
    /// ASCII case-insensitive equality without allocating (header names and action names are ASCII).
    @inlinable
    public func equalsIgnoringASCIICase(_ other: String) -> Bool {
        var a = self.utf8.makeIterator()
        var b = other.utf8.makeIterator()
        while true {
            switch (a.next(), b.next()) {
            case (nil, nil): return true
            case let (x?, y?):
                if x == y { continue }
                if Self.lowerASCII(x) != Self.lowerASCII(y) { return false }
            default: return false
            }
        }
    }

    @inlinable
    static func lowerASCII(_ byte: UInt8) -> UInt8 {
        (byte >= 0x41 && byte <= 0x5A) ? byte | 0x20 : byte
    }
}
