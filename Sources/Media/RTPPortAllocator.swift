/// Hands out RTP/RTCP port pairs from a configured range (`--rtp-ports 10000-20000`).
///
/// Pure bookkeeping, no sockets: the `MediaEngine` binds what this hands out. RTP ports are even
/// and RTCP is RTP + 1, both inside the range. A pair is never handed out twice while in use.
/// Allocation rotates through the range instead of reusing the lowest free pair, so a pair just
/// released (whose far end may still be sending stale packets) is reused as late as possible.
public struct RTPPortAllocator: Sendable {
    /// The default range, Asterisk's `rtp.conf` `rtpstart`/`rtpend`.
    public static let defaultRange: ClosedRange<Int> = 10000...20000

    /// The range as configured.
    public let range: ClosedRange<Int>
    /// The lowest even port of the range: pair `i` is `firstPort + 2 * i`.
    private let firstPort: Int
    /// One flag per pair.
    private var inUse: [Bool]
    /// The pair index the next search starts at.
    private var cursor: Int = 0
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
        self.inUse = Array(repeating: false, count: pairs)
    }

    /// How many pairs the range holds.
    public var capacity: Int { inUse.count }

    /// Whether no pair is in use.
    public var isEmpty: Bool { inUseCount == 0 }

    /// Takes the next free pair; throws `portRangeExhausted` when none is left.
    public mutating func allocate() throws -> RTPPortPair {
        guard inUseCount < inUse.count else {
            throw MediaError(.portRangeExhausted, "all \(inUse.count) RTP port pairs of \(range) are in use")
        }
        var index = cursor
        while inUse[index] {
            index = (index + 1) % inUse.count
        }
        inUse[index] = true
        inUseCount += 1
        cursor = (index + 1) % inUse.count
        return RTPPortPair(rtp: firstPort + 2 * index)
    }

    /// Returns a pair to the pool. Returns false (and changes nothing) if it was not in use or
    /// does not belong to this range, so a double release is harmless.
    @discardableResult
    public mutating func release(_ pair: RTPPortPair) -> Bool {
        guard let index = self.index(of: pair), inUse[index] else { return false }
        inUse[index] = false
        inUseCount -= 1
        return true
    }

    /// Whether `pair` is currently handed out.
    public func isInUse(_ pair: RTPPortPair) -> Bool {
        guard let index = self.index(of: pair) else { return false }
        return inUse[index]
    }

    private func index(of pair: RTPPortPair) -> Int? {
        let offset = pair.rtp - firstPort
        guard offset >= 0, offset % 2 == 0, offset / 2 < inUse.count else { return nil }
        return offset / 2
    }
}
