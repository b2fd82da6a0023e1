/// Channel unique IDs as Asterisk writes them: `<epoch seconds>.<counter>`, the counter global to the node.
public struct UniqueIDGenerator: Sendable {
    private var counter: Int = 0
    /// Per-technology counters for the `-%08x` suffix of channel names, starting at 00000000.
    private var nameCounters: [String: UInt32] = [:]

    public init() {}

    /// A new unique ID at `epochSeconds` (time is an input).
    public mutating func next(epochSeconds: Int) -> String {
        defer { counter += 1 }
        return "\(epochSeconds).\(counter)"
    }

    /// The next name suffix for a channel technology (`PJSIP`, `Local`), as 8 lowercase hex digits.
    public mutating func nextNameSuffix(technology: String) -> String {
        let value = nameCounters[technology, default: 0]
        nameCounters[technology] = value &+ 1
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: max(0, 8 - hex.count)) + hex
    }
}
