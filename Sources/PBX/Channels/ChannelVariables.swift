/// A channel's variables, in the order they were set, with Asterisk's inheritance rules:
/// `_NAME` crosses one level (and arrives as `NAME`), `__NAME` is inherited forever, and lookups
/// ignore leading underscores (`Getvar TRACKID` finds `__TRACKID`).
public struct ChannelVariables: Sendable, Hashable {
    public private(set) var entries: [(name: String, value: String)] = []

    public init() {}

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

    /// Sets `name` (keeping its underscores), replacing any variable with the same base name.
    public mutating func set(_ name: String, _ value: String) {
        let base = Self.baseName(name)
        if let index = entries.firstIndex(where: { Self.baseName($0.name) == base }) {
            entries[index] = (name, value)
        } else {
            entries.append((name, value))
        }
    }

    public mutating func remove(_ name: String) {
        let base = Self.baseName(name)
        entries.removeAll { Self.baseName($0.name) == base }
    }

    /// The value of `name`, ignoring leading underscores on both sides.
    public subscript(name: String) -> String? {
        let base = Self.baseName(name)
        return entries.first { Self.baseName($0.name) == base }?.value
    }

    /// What a channel created from this one inherits (`ast_channel_inherit_variables()`).
    public func inherited() -> ChannelVariables {
        var child = ChannelVariables()
        for (name, value) in entries {
            if name.hasPrefix("__") {
                child.entries.append((name, value))
            } else if name.hasPrefix("_") {
                child.entries.append((String(name.dropFirst()), value))
            }
        }
        return child
    }
}
