import DequeModule

/// Hands out RTP/RTCP port pairs from a configured range (`--rtp-ports 10000-20000`).
///
/// Pure bookkeeping, no sockets: the `MediaEngine` binds what this hands out. RTP ports are even
/// and RTCP is RTP + 1, both inside the range. A pair is never handed out twice while in use.
///
/// Pairs are handed out in random order (a uniformly random pick from the free list, O(1)), so a
/// stranger cannot predict the ports of the next call from those of the last one, and a pair just
/// released (whose old far end may still be sending) is unlikely to be reused at once. A pair that
/// could not be bound (another process holds one of its ports) is put out of rotation until a
/// given time (`quarantine(_:until:)`) instead of being tried again by the next call.
public struct RTPPortAllocator: Sendable {
    /// The default range, Asterisk's `rtp.conf` `rtpstart`/`rtpend`.
    public static let defaultRange: ClosedRange<Int> = 10000...20000

    private enum PairState: Sendable {
        case free
        case inUse
        case quarantined
    }

    /// The range as configured.
    public let range: ClosedRange<Int>
    /// The lowest even port of the range: pair `i` is `firstPort + 2 * i`.
    private let firstPort: Int
    private var states: [PairState]
    /// Indices of the free pairs, in no order.
    private var free: [Int]
    /// Pairs out of rotation with the time they come back, oldest first.
    private var quarantine: Deque<(index: Int, until: UInt64)> = []
    /// How many pairs are handed out now.
    public private(set) var inUseCount: Int = 0

    /// Creates an allocator over `range`; throws `invalidPortRange` if it holds no full pair.
    public init(range: ClosedRange<Int> = RTPPortAllocator.defaultRange) throws {
        guard range.lowerBound >= 1, range.upperBound <= 65535 else {
            throw MediaError(.invalidPortRange, "\(range) is outside 1...65535")
        }
        let first = range.lowerBound % 2 == 0 ? range.lowerBound : range.lowerBound + 1
        // The last pair must keep its RTCP port inside the range.
        let pairs = first + 1 <= range.upperBound ? (range.upperBound - first - 1) / 2 + 1 : 0
        guard pairs > 0 else {
            throw MediaError(.invalidPortRange, "\(range) holds no even RTP port with RTCP on +1")
        }
        self.range = range
        self.firstPort = first
        self.states = Array(repeating: .free, count: pairs)
        self.free = Array(0..<pairs)
    }

    /// How many pairs the range holds.
    public var capacity: Int { states.count }

    /// Whether no pair is in use.
    public var isEmpty: Bool { inUseCount == 0 }

    /// Pairs out of rotation now (they could not be bound).
    public var quarantinedCount: Int { quarantine.count }

    /// Takes a random free pair; throws `portRangeExhausted` when none is left. `now` (monotonic
    /// nanoseconds) returns quarantined pairs whose time is up to the pool first.
    public mutating func allocate(at now: UInt64 = 0) throws -> RTPPortPair {
        releaseQuarantine(at: now)
        guard !free.isEmpty else {
            throw MediaError(
                .portRangeExhausted,
                "all \(states.count) RTP port pairs of \(range) are in use (\(quarantinedCount) could not be bound)")
        }
        var random = SystemRandomNumberGenerator()
        let slot = Int.random(in: 0..<free.count, using: &random)
        let index = free[slot]
        free.swapAt(slot, free.count - 1)
        free.removeLast()
        states[index] = .inUse
        inUseCount += 1
        return RTPPortPair(rtp: firstPort + 2 * index)
    }

    /// Returns a pair to the pool. Returns false (and changes nothing) if it was not in use or
    /// does not belong to this range, so a double release is harmless.
    @discardableResult
    public mutating func release(_ pair: RTPPortPair) -> Bool {
        guard let index = self.index(of: pair), case .inUse = states[index] else { return false }
        states[index] = .free
        free.append(index)
        inUseCount -= 1
        return true
    }

    /// Takes a pair that is in use out of rotation until `until` (it could not be bound). Returns
    /// false if it was not in use. Callers pass a constant delay, so the queue stays in order.
    @discardableResult
    public mutating func quarantine(_ pair: RTPPortPair, until: UInt64) -> Bool {
        guard let index = self.index(of: pair), case .inUse = states[index] else { return false }
        states[index] = .quarantined
        inUseCount -= 1
        quarantine.append((index, until))
        return true
    }

    /// Whether `pair` is currently handed out.
    public func isInUse(_ pair: RTPPortPair) -> Bool {
        guard let index = self.index(of: pair) else { return false }
        switch states[index] {
        case .inUse: return true
        case .free, .quarantined: return false
        }
    }

    private mutating func releaseQuarantine(at now: UInt64) {
        while let first = quarantine.first, first.until <= now {
            quarantine.removeFirst()
            states[first.index] = .free
            free.append(first.index)
        }
    }

    private func index(of pair: RTPPortPair) -> Int? {
        let offset = pair.rtp - firstPort
        guard offset >= 0, offset % 2 == 0, offset / 2 < states.count else { return nil }
        return offset / 2
    }
}
