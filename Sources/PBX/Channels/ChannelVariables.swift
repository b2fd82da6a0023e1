/// A channel's variables, in the order they were set, with Asterisk's inheritance rules:
/// `_NAME` crosses one level (and arrives as `NAME`), `__NAME` is inherited forever, and lookups
/// ignore leading underscores (`Getvar TRACKID` finds `__TRACKID`).
///
/// Kept in a dictionary by base name, so setting, reading and removing cost O(1) whatever the
/// number of variables; `Limits` bounds how many a channel holds and how long each may be.
public struct ChannelVariables: Sendable, Hashable {
    /// Bounds on what one channel holds, so a peer (an Originate with thousands of `Variable:` items,
    /// a Setvar loop) cannot make a channel grow without end. Asterisk itself has no such bound.
    public struct Limits: Sendable, Equatable {
        /// Most variables a channel holds (distinct base names).
        public var maximumCount: Int
        /// Longest variable name, in bytes.
        public var maximumNameLength: Int
        /// Longest value, in bytes (an AMI line carries at most 1024 bytes; the dialplan may concatenate).
        public var maximumValueLength: Int

        public init(
            maximumCount: Int = Limits.defaultCount, maximumNameLength: Int = Limits.defaultNameLength,
            maximumValueLength: Int = Limits.defaultValueLength
        ) {
            self.maximumCount = maximumCount
            self.maximumNameLength = maximumNameLength
            self.maximumValueLength = maximumValueLength
        }

        public static let defaultCount = 250
        public static let defaultNameLength = 128
        public static let defaultValueLength = 4096
        /// Variables kept free for the engine's own (DIALSTATUS, DIALEDPEERNAME, …) and the dialplan's:
        /// a request from outside (Originate) may bring at most `maximumCount - engineReserve`.
        public static let engineReserve = 50

        public static let standard = Limits()

        /// Most variables an Originate may carry.
        public var maximumRequested: Int { max(0, maximumCount - Self.engineReserve) }

        /// Why `name = value` may never be stored, or nil.
        public func refusal(name: String, value: String) -> String? {
            if name.utf8.count > maximumNameLength {
                return "variable name longer than \(maximumNameLength) bytes"
            }
            if value.utf8.count > maximumValueLength {
                return "value of \(ChannelVariables.baseName(name)) longer than \(maximumValueLength) bytes"
            }
            return nil
        }
    }

    private struct Entry: Sendable, Hashable {
        var name: String
        var value: String
        var order: Int
    }

    /// By base name (leading underscores dropped).
    private var storage: [String: Entry] = [:]
    private var nextOrder = 0

    public init() {}

    /// Every variable with its name as set (underscores kept), in the order first set.
    public var entries: [(name: String, value: String)] {
        storage.values.sorted { $0.order < $1.order }.map { ($0.name, $0.value) }
    }

    public var count: Int { storage.count }

    public static func == (lhs: ChannelVariables, rhs: ChannelVariables) -> Bool {
        lhs.entries.map(\.name) == rhs.entries.map(\.name) && lhs.entries.map(\.value) == rhs.entries.map(\.value)
    }

    public func hash(into hasher: inout Hasher) {
        for entry in entries {
            hasher.combine(entry.name)
            hasher.combine(entry.value)
        }
    }

    /// The name without its inheritance underscores.
    public static func baseName(_ name: String) -> String {
        String(name.drop { $0 == "_" })
    }

    /// Sets `name` (keeping its underscores), replacing any variable with the same base name; a
    /// replaced variable keeps its place in the order. Returns false (and changes nothing) when the
    /// name or value is too long, or when `name` is new and the channel already holds `maximumCount`.
    @discardableResult
    public mutating func set(_ name: String, _ value: String, limits: Limits = .standard) -> Bool {
        guard limits.refusal(name: name, value: value) == nil else { return false }
        let base = Self.baseName(name)
        if let existing = storage[base] {
            storage[base] = Entry(name: name, value: value, order: existing.order)
            return true
        }
        guard storage.count < limits.maximumCount else { return false }
        storage[base] = Entry(name: name, value: value, order: nextOrder)
        nextOrder += 1
        return true
    }

    public mutating func remove(_ name: String) {
        storage[Self.baseName(name)] = nil
    }

    /// The value of `name`, ignoring leading underscores on both sides.
    public subscript(name: String) -> String? {
        storage[Self.baseName(name)]?.value
    }

    /// What a channel created from this one inherits (`ast_channel_inherit_variables()`).
    public func inherited() -> ChannelVariables {
        var child = ChannelVariables()
        for (name, value) in entries {
            if name.hasPrefix("__") {
                child.append(name, value)
            } else if name.hasPrefix("_") {
                child.append(String(name.dropFirst()), value)
            }
        }
        return child
    }

    /// Adds a variable the parent already held within limits (inheritance never exceeds them).
    private mutating func append(_ name: String, _ value: String) {
        storage[Self.baseName(name)] = Entry(name: name, value: value, order: nextOrder)
        nextOrder += 1
    }
}
