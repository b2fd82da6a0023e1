/// The argument of `GotoIf(condition?iftrue:iffalse)` as `pbx_builtin_gotoif()` splits it:
/// the condition ends at the first `?`, the true branch at the next `:`; either branch may be empty.
public struct GotoIfCondition: Sendable, Hashable {
    public var condition: String
    public var ifTrue: String?
    public var ifFalse: String?

    public init(_ data: String) {
        let (condition, rest) = ApplicationArguments.splitOnce(data, at: "?")
        self.condition = condition
        guard let rest else { return }
        let (ifTrue, ifFalse) = ApplicationArguments.splitOnce(rest, at: ":")
        self.ifTrue = ifTrue
        self.ifFalse = ifFalse
    }

    /// The branch to take (nil or empty: no jump, continue with the next priority).
    public var branch: String? {
        Self.isTrue(condition) ? ifTrue : ifFalse
    }

    /// `pbx_checkcondition()`: empty is false, a leading integer is its truth, any other text is true.
    public static func isTrue(_ condition: String) -> Bool {
        if condition.isEmpty { return false }
        if let number = ApplicationArguments.scanInteger(condition) { return number != 0 }
        return true
    }
}
