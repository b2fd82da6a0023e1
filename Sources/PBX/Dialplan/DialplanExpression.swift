import Foundation

/// `$[...]` evaluation following `main/ast_expr2.fl` (tokens) and `main/ast_expr2.y` (grammar).
///
/// Precedence, lowest first: `? ::`, `|`, `&`, comparisons (`= == != < > <= >=`), `+ -`, `* / %`,
/// unary `!` and `-`, then `:` / `=~` (regex) and `~~` (concatenation). A syntax error gives `0`,
/// an empty expression gives an empty string, as in Asterisk.
public enum DialplanExpression {
    /// Parentheses and function calls nested deeper than this are a syntax error (`0`). Centralino's
    /// bound: the parser is recursive descent with several stack frames per level, and a peer can put
    /// the text in a variable (a FuzzDialplan finding overflowed the stack at 4,000 levels); Asterisk's
    /// bison parser stops at YYMAXDEPTH (10,000 stack entries). No real dialplan nests 256 deep.
    public static let maximumNesting = 256

    /// Evaluates an already substituted expression body (the text between `$[` and `]`).
    public static func evaluate(_ expression: String, variables: any DialplanVariableSource = DialplanVariables()) -> String {
        let tokens = tokenize(expression)
        if tokens.isEmpty { return "" }
        var parser = Parser(tokens: tokens, variables: variables)
        guard let value = parser.parseExpression(), parser.atEnd else { return "0" }
        return value.text
    }

    enum Token: Equatable {
        case value(ExpressionValue)
        case op(Operator)
    }

    /// The operators of `ast_expr2.fl`; the raw value is the spelling `ExpressionValue` takes (`==`,
    /// `||` and `&&` are read as `=`, `|` and `&`).
    enum Operator: String {
        case or = "|"
        case and = "&"
        case equal = "="
        case notEqual = "!="
        case less = "<"
        case greater = ">"
        case lessOrEqual = "<="
        case greaterOrEqual = ">="
        case plus = "+"
        case minus = "-"
        case times = "*"
        case divide = "/"
        case modulo = "%"
        case not = "!"
        case regexMatch = "=~"
        case anchoredMatch = ":"
        case concatenate = "~~"
        case question = "?"
        case elseSeparator = "::"
        case comma = ","
        case open = "("
        case close = ")"

        /// Precedence level of a binary operator (0 binds loosest), nil for the others.
        var binaryLevel: Int? {
            switch self {
            case .or: return 0
            case .and: return 1
            case .equal, .notEqual, .less, .greater, .lessOrEqual, .greaterOrEqual: return 2
            case .plus, .minus: return 3
            case .times, .divide, .modulo: return 4
            default: return nil
            }
        }
    }

    /// Splits the text into tokens as `ast_expr2.fl` does: one pass over the UTF-8 bytes, one switch
    /// on each token's first byte (an operator is at most two bytes). Blanks separate tokens, a quoted
    /// string keeps its quotes, a word is a run of `[a-zA-Z0-9.';\\_^#@]`, bytes above 0x7f and `$`
    /// not before `{`; any other byte is skipped.
    static func tokenize(_ text: String) -> [Token] {
        var text = text
        return text.withUTF8 { tokenize(bytes: $0) }
    }

    private static func tokenize(bytes: UnsafeBufferPointer<UInt8>) -> [Token] {
        var tokens: [Token] = []
        let count = bytes.count
        var i = 0
        while i < count {
            let byte = bytes[i]
            let next: UInt8 = i + 1 < count ? bytes[i + 1] : 0
            var op: Operator?
            var length = 1
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n"):
                i += 1
                continue
            case UInt8(ascii: "\""):
                // A quoted string keeps its quotes; an unterminated quote is skipped like any stray byte
                // (no quote follows it, so this search fails at most once per text).
                var close = i + 1
                while close < count, bytes[close] != UInt8(ascii: "\"") { close += 1 }
                if close < count {
                    tokens.append(.value(.string(String(decoding: UnsafeBufferPointer(rebasing: bytes[i...close]), as: UTF8.self))))
                    i = close + 1
                } else {
                    i += 1
                }
                continue
            case UInt8(ascii: "|"):
                op = .or
                if next == UInt8(ascii: "|") { length = 2 }
            case UInt8(ascii: "&"):
                op = .and
                if next == UInt8(ascii: "&") { length = 2 }
            case UInt8(ascii: "="):
                op = .equal
                if next == UInt8(ascii: "=") {
                    length = 2
                } else if next == UInt8(ascii: "~") {
                    (op, length) = (.regexMatch, 2)
                }
            case UInt8(ascii: "~"):
                if next == UInt8(ascii: "~") { (op, length) = (.concatenate, 2) }  // a lone `~` is skipped
            case UInt8(ascii: ">"):
                op = .greater
                if next == UInt8(ascii: "=") { (op, length) = (.greaterOrEqual, 2) }
            case UInt8(ascii: "<"):
                op = .less
                if next == UInt8(ascii: "=") { (op, length) = (.lessOrEqual, 2) }
            case UInt8(ascii: "!"):
                op = .not
                if next == UInt8(ascii: "=") { (op, length) = (.notEqual, 2) }
            case UInt8(ascii: ":"):
                op = .anchoredMatch
                if next == UInt8(ascii: ":") { (op, length) = (.elseSeparator, 2) }
            case UInt8(ascii: "+"): op = .plus
            case UInt8(ascii: "-"): op = .minus
            case UInt8(ascii: "*"): op = .times
            case UInt8(ascii: "/"): op = .divide
            case UInt8(ascii: "%"): op = .modulo
            case UInt8(ascii: "?"): op = .question
            case UInt8(ascii: ","): op = .comma
            case UInt8(ascii: "("): op = .open
            case UInt8(ascii: ")"): op = .close
            default:
                let start = i
                while i < count, isWordByte(bytes[i], next: i + 1 < count ? bytes[i + 1] : 0) { i += 1 }
                if i == start {
                    i += 1  // flex echoes and ignores anything else
                } else {
                    let word = UnsafeBufferPointer(rebasing: bytes[start..<i])
                    let text = String(decoding: word, as: UTF8.self)
                    tokens.append(.value(isNumeric(word) ? .numericString(text) : .string(text)))
                }
                continue
            }
            if let op { tokens.append(.op(op)) }
            i += length
        }
        return tokens
    }

    /// A byte of a bare word (`[a-zA-Z0-9.';\\_^#@]`, bytes above 0x7f, `$` not before `{`).
    private static func isWordByte(_ byte: UInt8, next: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"), 0x80...0xff:
            return true
        case UInt8(ascii: "."), UInt8(ascii: "'"), UInt8(ascii: ";"), UInt8(ascii: "\\"), UInt8(ascii: "_"), UInt8(ascii: "^"),
            UInt8(ascii: "#"), UInt8(ascii: "@"):
            return true
        case UInt8(ascii: "$"):
            return next != UInt8(ascii: "{")
        default:
            return false
        }
    }

    /// `[0-9]+(\.[0-9]+)?`
    private static func isNumeric(_ word: UnsafeBufferPointer<UInt8>) -> Bool {
        var digits = 0
        var sawDot = false
        for byte in word {
            if byte == UInt8(ascii: ".") {
                guard !sawDot, digits > 0 else { return false }
                (sawDot, digits) = (true, 0)
            } else if byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
                digits += 1
            } else {
                return false
            }
        }
        return digits > 0
    }

    private struct Parser {
        var tokens: [Token]
        var position = 0
        /// Nesting of `parseExpression` (parentheses, function arguments), bounded by `maximumNesting`.
        var depth = 0
        let variables: any DialplanVariableSource

        init(tokens: [Token], variables: any DialplanVariableSource) {
            self.tokens = tokens
            self.variables = variables
        }

        var atEnd: Bool { position == tokens.count }

        private func peekOperator() -> Operator? {
            guard position < tokens.count, case .op(let op) = tokens[position] else { return nil }
            return op
        }

        private mutating func take(_ op: Operator) -> Bool {
            guard peekOperator() == op else { return false }
            position += 1
            return true
        }

        mutating func parseExpression() -> ExpressionValue? {
            depth += 1
            defer { depth -= 1 }
            guard depth <= DialplanExpression.maximumNesting else { return nil }
            guard var left = parseBinary(level: 0) else { return nil }
            while take(.question) {
                guard let middle = parseBinary(level: 0), take(.elseSeparator),
                    let right = parseBinary(level: 0)
                else { return nil }
                left = ExpressionValue.choose(left, middle, right)
            }
            return left
        }

        /// Levels 0 to 4 of `Operator.binaryLevel`, then the unary operators.
        private mutating func parseBinary(level: Int) -> ExpressionValue? {
            guard level < 5 else { return parseUnary() }
            guard var left = parseBinary(level: level + 1) else { return nil }
            while let op = peekOperator(), op.binaryLevel == level {
                position += 1
                guard let right = parseBinary(level: level + 1) else { return nil }
                switch op {
                case .or: left = left.isZeroOrNull ? right : left
                case .and: left = left.isZeroOrNull || right.isZeroOrNull ? .number(0) : left
                case .plus, .minus, .times, .divide, .modulo: left = ExpressionValue.arithmetic(left, right, op.rawValue)
                default: left = ExpressionValue.compare(left, right, op.rawValue)
                }
            }
            return left
        }

        /// Prefix `!` and `-`, read in a loop (a run of 100,000 of them must not recurse) and applied
        /// from the innermost, reading them back from the tokens.
        private mutating func parseUnary() -> ExpressionValue? {
            let first = position
            while let op = peekOperator(), op == .not || op == .minus { position += 1 }
            let end = position
            guard var value = parseMatch() else { return nil }
            var index = end
            while index > first {
                index -= 1
                let isNot = tokens[index] == .op(.not)
                value = isNot ? ExpressionValue.not(value) : (value.number.map { .number(-$0) } ?? .number(0))
            }
            return value
        }

        private mutating func parseMatch() -> ExpressionValue? {
            guard var left = parsePrimary() else { return nil }
            while let op = peekOperator(), op == .anchoredMatch || op == .regexMatch || op == .concatenate {
                position += 1
                guard let right = parsePrimary() else { return nil }
                switch op {
                case .concatenate: left = .fromText(left.unquoted + right.unquoted)
                default: left = ExpressionValue.regexMatch(left, right, anchored: op == .anchoredMatch)
                }
            }
            return left
        }

        private mutating func parsePrimary() -> ExpressionValue? {
            guard position < tokens.count else { return nil }
            switch tokens[position] {
            case .op(.open):
                position += 1
                guard let inner = parseExpression(), take(.close) else { return nil }
                return inner
            case .op:
                return nil
            case .value(let value):
                position += 1
                guard take(.open) else { return value }
                return callFunction(value.text)
            }
        }

        /// `NAME(arg, ...)`: a dialplan function given its arguments joined with commas.
        private mutating func callFunction(_ name: String) -> ExpressionValue? {
            var arguments: [String] = []
            if !take(.close) {
                repeat {
                    if peekOperator() == .comma || peekOperator() == .close {
                        arguments.append("")
                        continue
                    }
                    guard let argument = parseExpression() else { return nil }
                    arguments.append(argument.text)
                } while take(.comma)
                guard take(.close) else { return nil }
            }
            guard let result = DialplanFunctions.read(name, argument: arguments.joined(separator: ","), variables: variables) else {
                return .number(0)
            }
            let isNumber = !result.isEmpty && result.allSatisfy { "-0123456789. \t".contains($0) }
            return isNumber ? .number(Double(result.trimmingCharacters(in: .whitespaces)) ?? 0) : .fromText(result)
        }
    }
}
