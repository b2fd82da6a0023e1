/// The argument of `Set(NAME=value)`, split as `pbx_builtin_setvar()` splits it: at the first `=` only,
/// with no comma splitting (`Set(A=1,B=2)` sets `A` to `1,B=2`).
public struct SetAssignment: Sendable, Hashable {
    /// The name as written, underscores included (`__TENANT_UUID`), or a function (`CALLERID(num)`).
    public var name: String
    public var value: String

    /// nil when there is no `=` or the name is empty (Asterisk warns and does nothing).
    public init?(_ data: String) {
        let (name, value) = ApplicationArguments.splitOnce(data, at: "=")
        guard let value, !name.isEmpty else { return nil }
        self.name = name
        self.value = value
    }

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }

    /// True when the name is a function to write (`CALLERID(num)`), not a variable.
    public var isFunction: Bool { name.hasSuffix(")") && name.contains("(") }

    /// How many levels the variable is inherited: 0 (`NAME`), 1 (`_NAME`) or forever (`__NAME`).
    public var inheritance: Inheritance {
        if name.hasPrefix("__") { return .forever }
        if name.hasPrefix("_") { return .oneLevel }
        return .none
    }

    public enum Inheritance: Sendable, Hashable { case none, oneLevel, forever }

    /// The name without its inheritance underscores (what lookups compare).
    public var baseName: String { String(name.drop { $0 == "_" }) }
}
