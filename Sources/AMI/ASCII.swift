extension String {
    /// ASCII case-insensitive equality without allocating (header names and action names are ASCII).
    @inlinable
    public func equalsIgnoringASCIICase(_ other: String) -> Bool {
        // Lengths first (O(1) for native strings): most names compared differ in length.
        guard self.utf8.count == other.utf8.count else { return false }
        var a = self.utf8.makeIterator()
        var b = other.utf8.makeIterator()
        while let x = a.next(), let y = b.next() {
            if x != y, Self.lowerASCII(x) != Self.lowerASCII(y) { return false }
        }
        return true
    }

    @inlinable
    static func lowerASCII(_ byte: UInt8) -> UInt8 {
        (byte >= 0x41 && byte <= 0x5A) ? byte | 0x20 : byte
    }
}
