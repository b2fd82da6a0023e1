/// Channel unique IDs as Asterisk writes them: `<epoch seconds>.<counter>`, the counter global to the node;
/// `<systemname>-<epoch seconds>.<counter>` when the node has a system name (`--node-id` in a cluster).
public struct UniqueIDGenerator: Sendable {
    private var counter: Int
    /// `"<systemname>-"`, or empty.
    private let prefix: String
    /// Per-technology counters for the `-%08x` suffix of channel names, starting at 00000000.
    private var nameCounters: [String: UInt32] = [:]
    /// Where counters start and how far they step: generators that start at 0, 1, … `step - 1` and
    /// step by `step` never make the same ID or name (one per call engine shard).
    private let first: Int
    private let step: Int

    /// A generator whose counters take the values `first`, `first + step`, `first + 2·step`, …
    public init(first: Int = 0, step: Int = 1, systemName: String? = nil) {
        self.prefix = systemName.map { "\($0)-" } ?? ""
        self.first = first
        self.step = max(1, step)
        self.counter = first
    }

    /// A new unique ID at `epochSeconds` (time is an input).
    public mutating func next(epochSeconds: Int) -> String {
        defer { counter += step }
        return "\(prefix)\(epochSeconds).\(counter)"
    }

    /// The next name suffix for a channel technology (`PJSIP`, `Local`), as 8 lowercase hex digits.
    public mutating func nextNameSuffix(technology: String) -> String {
        let value = nameCounters[technology, default: UInt32(truncatingIfNeeded: first)]
        nameCounters[technology] = value &+ UInt32(truncatingIfNeeded: step)
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: max(0, 8 - hex.count)) + hex
    }
}
