/// The nonce counts already used with each nonce, so a captured Authorization cannot be replayed
/// (RFC 7616 §3.3 and §5.3, RFC 3261 §22.4): with `qop=auth` a nonce may be reused only with a
/// higher `nc` than before; without qop (RFC 2069 style) a nonce is good for one request.
///
/// Only credentials that were otherwise valid are recorded, so a stranger cannot spend a client's
/// nonce. Time is an input (seconds); an entry is kept until its nonce has turned stale anyway.
public struct DigestNonceCounts: Sendable {
    /// The outcome of presenting a nonce count.
    public enum Use: Sendable, Equatable {
        /// Not seen before: accepted and remembered.
        case fresh
        /// This count (or a higher one) was used with this nonce already, or the count is not hex:
        /// challenge again with `stale=true`.
        case replayed
    }

    private struct Entry: Sendable {
        /// The highest nonce count used; 0 for a nonce used without qop.
        var highest: UInt32
        var expires: UInt64
    }

    /// Nonces remembered at most. Only valid credentials add entries, so this bounds legitimate
    /// authentications per nonce lifetime (100,000 in 300 s is over 300 per second); past it the
    /// entries closest to expiry are dropped first.
    public static let defaultCapacity = 100_000

    public let capacity: Int
    private var entries: [String: Entry] = [:]

    public init(capacity: Int = Self.defaultCapacity) {
        self.capacity = max(1, capacity)
    }

    /// Nonces remembered now.
    public var count: Int { entries.count }

    /// Records the use of `nonce` with `nonceCount` (8 hex digits, nil without qop) at `now`;
    /// the entry is kept until `expires` (seconds, when the nonce turns stale).
    public mutating func use(nonce: String, nonceCount: String?, now: UInt64, expires: UInt64) -> Use {
        let count: UInt32
        if let nonceCount {
            guard nonceCount.utf8.count == 8, let parsed = UInt32(nonceCount, radix: 16), parsed > 0 else { return .replayed }
            count = parsed
        } else {
            count = 0
        }
        if let entry = entries[nonce], entry.expires > now {
            guard count > 0, count > entry.highest else { return .replayed }
            entries[nonce]?.highest = count
            return .fresh
        }
        makeRoom(now: now)
        entries[nonce] = Entry(highest: count, expires: expires)
        return .fresh
    }

    private mutating func makeRoom(now: UInt64) {
        guard entries.count >= capacity else { return }
        entries = entries.filter { $0.value.expires > now }
        guard entries.count >= capacity else { return }
        let keep = entries.sorted { $0.value.expires > $1.value.expires }.prefix(capacity * 9 / 10)
        entries = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
    }
}
