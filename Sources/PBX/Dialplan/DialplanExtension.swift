/// An extension of a context (literal or pattern) with its priorities and optional hint.
public struct DialplanExtension: Sendable, Hashable {
    public var pattern: ExtensionPattern
    /// Priorities by number.
    public private(set) var priorities: [Int: DialplanPriority] = [:]
    /// `exten => 100,hint,PJSIP/100`.
    public var hint: String?

    public init(_ name: String, priorities: [DialplanPriority] = []) {
        self.pattern = ExtensionPattern(name)
        for priority in priorities { self.priorities[priority.number] = priority }
    }

    /// The name as written (`100`, `_0.`).
    public var name: String { pattern.text }

    /// The priorities in execution order.
    public var orderedPriorities: [DialplanPriority] {
        priorities.values.sorted { $0.number < $1.number }
    }

    /// The highest priority number, or nil when there is none.
    public var lastPriority: Int? { priorities.keys.max() }

    public func priority(_ number: Int) -> DialplanPriority? { priorities[number] }

    /// The number of the priority carrying `label` (labels are case-sensitive, as in Asterisk).
    public func priority(labelled label: String) -> Int? {
        priorities.values.first { $0.label == label }?.number
    }

    /// Adds a priority; false if the number is already taken (Asterisk refuses duplicates).
    @discardableResult
    public mutating func add(_ priority: DialplanPriority) -> Bool {
        guard priorities[priority.number] == nil else { return false }
        priorities[priority.number] = priority
        return true
    }
}
