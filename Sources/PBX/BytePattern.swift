#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Literal bytes searched for in a text in time linear in the text, whatever both hold
/// (Knuth–Morris–Pratt, with `memchr` to reach each candidate start).
///
/// AMI event filters run such searches over every event a session takes, on the loop that publishes
/// it: a `contains` pattern, and the literal prefix of a regex. Comparing the whole pattern at every
/// occurrence of its first byte costs the pattern's length times the event's when both repeat one
/// byte (`aaa…ab` over a value of `a`s): 32 such filters of 256 bytes took ~4 ms per 16 KB event
/// and session, so a tenant's sessions could hold the call engine's loop that other tenants share.
public struct BytePattern: Sendable, Equatable {
    public let bytes: [UInt8]
    /// `fallback[i]`: the length of the longest proper prefix of `bytes[0...i]` that is also a
    /// suffix of it, where a partial match of `i + 1` bytes resumes when the next byte differs.
    private let fallback: [Int]

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
        var fallback = [Int](repeating: 0, count: bytes.count)
        var length = 0
        for index in bytes.indices.dropFirst() {
            while length > 0, bytes[index] != bytes[length] { length = fallback[length - 1] }
            if bytes[index] == bytes[length] { length += 1 }
            fallback[index] = length
        }
        self.fallback = fallback
    }

    public var isEmpty: Bool { bytes.isEmpty }

    /// Whether the pattern occurs in `text` (an empty pattern occurs everywhere).
    public func occurs(in text: UnsafeBufferPointer<UInt8>) -> Bool {
        bytes.isEmpty || firstOccurrence(in: text, from: 0) != nil
    }

    /// Where the pattern (not empty) first occurs in `text` at or after `from`. Every step either
    /// moves on in the text or shortens the partial match, so the search takes at most twice the
    /// text's length in steps.
    public func firstOccurrence(in text: UnsafeBufferPointer<UInt8>, from: Int) -> Int? {
        guard let first = bytes.first, let base = text.baseAddress, from >= 0 else { return nil }
        return bytes.withUnsafeBufferPointer { pattern in
            fallback.withUnsafeBufferPointer { fallback in
                var index = from
                var matched = 0
                while index < text.count {
                    if matched == 0 {
                        // Nothing matched: jump to the next occurrence of the first byte.
                        guard let hit = memchr(base + index, Int32(first), text.count - index) else { return nil }
                        index = base.distance(to: hit.assumingMemoryBound(to: UInt8.self)) + 1
                        matched = 1
                    } else if base[index] == pattern[matched] {
                        index += 1
                        matched += 1
                    } else {
                        matched = fallback[matched - 1]
                        continue
                    }
                    if matched == pattern.count { return index - matched }
                }
                return nil
            }
        }
    }
}
