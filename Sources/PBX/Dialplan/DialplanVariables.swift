/// A simple value-type variable source: channel variables, caller ID and extra built-ins.
/// Handy in tests and for channels whose engine keeps variables in a dictionary.
public struct DialplanVariables: DialplanVariableSource, Sendable, Hashable {
    /// Variables keyed by name as set (underscores kept).
    public private(set) var values: [String: String] = [:]
    public var callerIDNumber: String
    public var callerIDName: String
    /// Read-only built-ins such as `CHANNEL` or `UNIQUEID` (exact names).
    public var builtins: [String: String]

    public init(
        _ values: [String: String] = [:], callerIDNumber: String = "", callerIDName: String = "",
        builtins: [String: String] = [:]
    ) {
        self.callerIDNumber = callerIDNumber
        self.callerIDName = callerIDName
        self.builtins = builtins
        for (name, value) in values { set(name, value) }
    }

    /// Sets a variable, replacing any with the same base name (`_X` replaces `X`).
    public mutating func set(_ name: String, _ value: String) {
        let key = Self.key(name)
        values = values.filter { Self.key($0.key) != key }
        values[name] = value
    }

    public func variable(_ name: String) -> String? {
        if let builtin = builtins[name] { return builtin }
        let key = Self.key(name)
        return values.first { Self.key($0.key) == key }?.value
    }

    public func function(_ name: String, argument: String) -> String? {
        guard name == "CALLERID" else { return nil }
        switch argument.lowercased() {
        case "num", "number": return callerIDNumber
        case "name": return callerIDName
        case "all": return callerIDName.isEmpty ? callerIDNumber : "\"\(callerIDName)\" <\(callerIDNumber)>"
        default: return nil
        }
    }

    private static func key(_ name: String) -> String {
        String(name.drop { $0 == "_" }).uppercased()
    }
}
