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
        case op(String)
    }

    private static let operators = [
        "||", "&&", "==", "=~", "~~", ">=", "<=", "!=", "::",
        "|", "&", "=", ">", "<", "+", ",", "-", "*", "/", "%", "?", "!", ":", "(", ")",
    ]

    /// Characters of a bare word (`[a-zA-Z0-9.';\\_^#@]`, bytes above 0x7f, `$` not before `{`).
    private static func isWordCharacter(_ c: Character, next: Character?) -> Bool {
        if c == "$" { return next != "{" }
        if !c.isASCII { return true }
        return c.isLetter || c.isNumber || ".';\\_^#@".contains(c)
    }

    static func tokenize(_ text: String) -> [Token] {
        let chars = Array(text)
        var tokens: [Token] = []
        var i = 0
        outer: while i < chars.count {
            let c = chars[i]
            if c == " " || c == "\t" || c == "\r" || c == "\n" {
                i += 1
                continue
            }
            if c == "\"" {
                // A quoted string keeps its quotes; an unterminated quote is skipped like any stray character.
                if let close = chars[(i + 1)...].firstIndex(of: "\"") {
                    tokens.append(.value(.string(String(chars[i...close]))))
                    i = close + 1
                } else {
                    i += 1
                }
                continue
            }
            for op in operators where chars[i...].starts(with: Array(op)) {
                tokens.append(.op(op == "==" ? "=" : op == "||" ? "|" : op == "&&" ? "&" : op))
                i += op.count
                continue outer
            }
            var word = ""
            while i < chars.count, isWordCharacter(chars[i], next: i + 1 < chars.count ? chars[i + 1] : nil) {
                word.append(chars[i])
                i += 1
            }
            if word.isEmpty {
                i += 1
                continue
            }  // flex echoes and ignores anything else
            tokens.append(.value(isNumeric(word) ? .numericString(word) : .string(word)))
        }
        return tokens
    }

    /// `[0-9]+(\.[0-9]+)?`
    private static func isNumeric(_ word: String) -> Bool {
        let parts = word.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { return false }
        return parts.allSatisfy { !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }
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

        private func peekOperator() -> String? {
            guard position < tokens.count, case .op(let op) = tokens[position] else { return nil }
            return op
        }

        private mutating func take(_ ops: Set<String>) -> String? {
            guard let op = peekOperator(), ops.contains(op) else { return nil }
            position += 1
            return op
        }

        mutating func parseExpression() -> ExpressionValue? {
            depth += 1
            defer { depth -= 1 }
            guard depth <= DialplanExpression.maximumNesting else { return nil }
            guard var left = parseBinary(level: 0) else { return nil }
            while take(["?"]) != nil {
                guard let middle = parseBinary(level: 0), take(["::"]) != nil,
                    let right = parseBinary(level: 0)
                else { return nil }
                left = ExpressionValue.choose(left, middle, right)
            }
            return left
        }

        private static let levels: [Set<String>] = [["|"], ["&"], ["=", "!=", "<", ">", "<=", ">="], ["+", "-"], ["*", "/", "%"]]

        private mutating func parseBinary(level: Int) -> ExpressionValue? {
            guard level < Self.levels.count else { return parseUnary() }
            guard var left = parseBinary(level: level + 1) else { return nil }
            while let op = take(Self.levels[level]) {
                guard let right = parseBinary(level: level + 1) else { return nil }
                switch op {
                case "|": left = left.isZeroOrNull ? right : left
                case "&": left = left.isZeroOrNull || right.isZeroOrNull ? .number(0) : left
                case "+", "-", "*", "/", "%": left = ExpressionValue.arithmetic(left, right, op)
                default: left = ExpressionValue.compare(left, right, op)
                }
            }
            return left
        }

        /// Prefix `!` and `-`, read in a loop (a run of 100,000 of them must not recurse).
        private mutating func parseUnary() -> ExpressionValue? {
            var prefixes: [String] = []
            while let op = take(["!", "-"]) { prefixes.append(op) }
            guard var value = parseMatch() else { return nil }
            for op in prefixes.reversed() {
                value = op == "!" ? ExpressionValue.not(value) : (value.number.map { .number(-$0) } ?? .number(0))
            }
            return value
        }

        private mutating func parseMatch() -> ExpressionValue? {
            guard var left = parsePrimary() else { return nil }
            while let op = take([":", "=~", "~~"]) {
                guard let right = parsePrimary() else { return nil }
                switch op {
                case "~~": left = .fromText(left.unquoted + right.unquoted)
                default: left = ExpressionValue.regexMatch(left, right, anchored: op == ":")
                }
            }
            return left
        }

        private mutating func parsePrimary() -> ExpressionValue? {
            guard position < tokens.count else { return nil }
            switch tokens[position] {
            case .op("("):
                position += 1
                guard let inner = parseExpression(), take([")"]) != nil else { return nil }
                return inner
            case .op:
                return nil
            case .value(let value):
                position += 1
                guard peekOperator() == "(" else { return value }
                position += 1
                return callFunction(value.text)
            }
        }

        /// `NAME(arg, ...)`: a dialplan function given its arguments joined with commas.
        private mutating func callFunction(_ name: String) -> ExpressionValue? {
            var arguments: [String] = []
            if take([")"]) == nil {
                repeat {
                    if peekOperator() == "," || peekOperator() == ")" {
                        arguments.append("")
                        continue
                    }
                    guard let argument = parseExpression() else { return nil }
                    arguments.append(argument.text)
                } while take([","]) != nil
                guard take([")"]) != nil else { return nil }
            }
            guard let result = DialplanFunctions.read(name, argument: arguments.joined(separator: ","), variables: variables) else {
                return .number(0)
            }
            let isNumber = !result.isEmpty && result.allSatisfy { "-0123456789. \t".contains($0) }
            return isNumber ? .number(Double(result.trimmingCharacters(in: .whitespaces)) ?? 0) : .fromText(result)
        }
    }
}
