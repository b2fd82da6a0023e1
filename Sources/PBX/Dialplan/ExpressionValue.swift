import Foundation

/// A value inside `$[...]` and the operators of `main/ast_expr2.y` that act on it.
///
/// Asterisk keeps three kinds: numbers (results of arithmetic), numeric strings (tokens that look
/// like numbers) and strings (everything else, *including the double quotes* of a quoted token).
/// A comparison is textual when either side is a string, numeric otherwise.
enum ExpressionValue: Equatable {
    case number(Double)
    case numericString(String)
    case string(String)

    /// `make_str()`: text produced by a function or a regex is numeric when it is digits and dots
    /// (a leading `-` counts as not numeric, as in Asterisk).
    static func fromText(_ text: String) -> ExpressionValue {
        guard let first = text.first, first.isASCII, first.isNumber || first == "." else { return .string(text) }
        return text.allSatisfy { ($0.isASCII && $0.isNumber) || $0 == "." } ? .numericString(text) : .string(text)
    }

    var isString: Bool {
        if case .string = self { return true }
        return false
    }

    /// `to_number()`: nil when the value is not numeric.
    var number: Double? {
        switch self {
        case .number(let value): return value
        case .numericString(let text): return Double(text)
        case .string: return nil
        }
    }

    /// `to_string()`.
    var text: String {
        switch self {
        case .number(let value): return Self.format(value)
        case .numericString(let text), .string(let text): return text
        }
    }

    /// `is_zero_or_null()`.
    var isZeroOrNull: Bool {
        switch self {
        case .number(let value): return value == 0
        case .numericString(let text): return text.isEmpty || Double(text) == 0
        case .string(let text): return text.isEmpty
        }
    }

    /// Asterisk prints with `%.18Lg`; a Double carries about 15 significant digits.
    static func format(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(format: "%.15g", value)
    }

    /// `strip_quotes()`: removes every `"` when the text starts and ends with one.
    var unquoted: String {
        let text = self.text
        guard text.count >= 1, text.first == "\"", text.last == "\"" else { return text }
        return text.filter { $0 != "\"" }
    }

    // MARK: - Operators

    static func compare(_ a: ExpressionValue, _ b: ExpressionValue, _ op: String) -> ExpressionValue {
        let result: Bool
        if a.isString || b.isString {
            let (x, y) = (Array(a.text.utf8), Array(b.text.utf8))  // strcoll in the C locale: bytes
            let order = x.lexicographicallyPrecedes(y) ? -1 : (x == y ? 0 : 1)
            result = test(order, op)
        } else {
            let (x, y) = (a.number ?? 0, b.number ?? 0)
            result = test(x < y ? -1 : (x == y ? 0 : 1), op)
        }
        return .number(result ? 1 : 0)
    }

    private static func test(_ order: Int, _ op: String) -> Bool {
        switch op {
        case "=": return order == 0
        case "!=": return order != 0
        case "<": return order < 0
        case ">": return order > 0
        case "<=": return order <= 0
        default: return order >= 0
        }
    }

    static func arithmetic(_ a: ExpressionValue, _ b: ExpressionValue, _ op: String) -> ExpressionValue {
        let (x, y) = (a.number, b.number)
        switch op {
        case "+":
            guard let x else { return y.map { .number($0) } ?? .number(0) }
            guard let y else { return a }
            return .number(x + y)
        case "-":
            guard let x else { return y.map { .number(-$0) } ?? .number(0) }
            guard let y else { return a }
            return .number(x - y)
        case "*":
            guard let x, let y else { return .number(0) }
            return .number(x * y)
        case "/":
            guard let x else { return .number(0) }
            guard let y, y != 0 else { return .number(Double(Int32.max)) }
            return .number(x / y)
        default:  // %
            guard let x, let y else { return .number(0) }
            guard y != 0 else { return .number(y) }
            return .number(fmod(x, y))
        }
    }

    /// `op_compl()`.
    static func not(_ a: ExpressionValue) -> ExpressionValue {
        switch a {
        case .number(let value):
            return .number(value == 0 ? 1 : 0)
        case .numericString(let text), .string(let text):
            if text.isEmpty || text == "0" { return .number(1) }
            return .number(ApplicationArguments.leadingInteger(text) == 0 ? 1 : 0)
        }
    }

    /// `op_cond()`: `a ? b :: c`.
    static func choose(_ a: ExpressionValue, _ b: ExpressionValue, _ c: ExpressionValue) -> ExpressionValue {
        if case .string(let text) = a {
            return !text.isEmpty && text != "\"\"" && text != "0" ? b : c
        }
        return (a.number ?? 0) != 0 ? b : c
    }

    /// Bounds on `:` / `=~` patterns and subjects (a variable's value may hold up to 4096 bytes).
    static let regexLimits = LinearRegex.Limits(
        maximumPatternLength: 1024, maximumSubjectLength: 8192,
        maximumProgramSize: LinearRegex.Limits.defaultProgramSize)

    /// `op_colon()` (anchored at the start) and `op_eqtilde()` (anywhere): the first group's text,
    /// or the length of the match; on failure 0, or "" when the regex has groups. The pattern is a
    /// POSIX ERE (as Asterisk's `regcomp(REG_EXTENDED)`) matched in linear time by `LinearRegex`, so a
    /// pattern from a variable (`(a+)+$`) cannot stall the engine; an unsupported or oversized one gives "".
    static func regexMatch(_ a: ExpressionValue, _ b: ExpressionValue, anchored: Bool) -> ExpressionValue {
        let subject = a.unquoted
        guard let regex = try? LinearRegex(b.unquoted, limits: regexLimits) else { return .string("") }
        if let match = regex.firstMatch(in: subject, anchoredAtStart: anchored) {
            if regex.groupCount > 0 {
                guard let group = match.firstGroup else { return .string("") }
                return fromText(String(decoding: Array(subject.utf8)[group], as: UTF8.self))
            }
            return .number(Double(match.range.count))
        }
        return regex.groupCount == 0 ? .number(0) : .string("")
    }
}
