/// Parses a POSIX extended regular expression into a `LinearRegexNode`, refusing what
/// `LinearRegex` does not support (see there).
struct LinearRegexParser {
    private let bytes: [UInt8]
    private var position = 0
    private var depth = 0
    /// Groups seen so far (the number of the last one opened).
    private(set) var groupCount = 0
    /// Largest `{m,n}` bound (`RE_DUP_MAX` is larger; the program size limit binds first anyway).
    static let maximumBound = 255

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    mutating func parse() throws(LinearRegex.CompileError) -> LinearRegexNode {
        let node = try alternation()
        if position < bytes.count {
            // Only an unbalanced ')' stops the top-level alternation early.
            throw LinearRegex.CompileError("unmatched ')' at offset \(position)")
        }
        return node
    }

    private var current: UInt8? { position < bytes.count ? bytes[position] : nil }

    private mutating func alternation() throws(LinearRegex.CompileError) -> LinearRegexNode {
        var branches = [try branch()]
        while current == UInt8(ascii: "|") {
            position += 1
            branches.append(try branch())
        }
        return branches.count == 1 ? branches[0] : .alternation(branches)
    }

    private mutating func branch() throws(LinearRegex.CompileError) -> LinearRegexNode {
        var pieces: [LinearRegexNode] = []
        while let byte = current, byte != UInt8(ascii: "|"), byte != UInt8(ascii: ")") {
            pieces.append(try piece())
        }
        switch pieces.count {
        case 0: return .empty
        case 1: return pieces[0]
        default: return .concatenation(pieces)
        }
    }

    private mutating func piece() throws(LinearRegex.CompileError) -> LinearRegexNode {
        if let byte = current, Self.isQuantifier(byte) {
            throw LinearRegex.CompileError("repetition operator '\(Character(UnicodeScalar(byte)))' without an operand at offset \(position)")
        }
        var node = try atom()
        while let byte = current, Self.isQuantifier(byte) {
            if case .lineStart = node { throw LinearRegex.CompileError("repetition of an anchor at offset \(position)") }
            if case .lineEnd = node { throw LinearRegex.CompileError("repetition of an anchor at offset \(position)") }
            position += 1
            switch byte {
            case UInt8(ascii: "*"): node = .repetition(node, minimum: 0, maximum: nil)
            case UInt8(ascii: "+"): node = .repetition(node, minimum: 1, maximum: nil)
            case UInt8(ascii: "?"): node = .repetition(node, minimum: 0, maximum: 1)
            default:
                let (minimum, maximum) = try bound()
                node = .repetition(node, minimum: minimum, maximum: maximum)
            }
        }
        return node
    }

    private static func isQuantifier(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "*") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "?") || byte == UInt8(ascii: "{")
    }

    /// After `{`: `m}`, `m,}` or `m,n}`.
    private mutating func bound() throws(LinearRegex.CompileError) -> (Int, Int?) {
        let start = position - 1
        guard let minimum = number() else { throw LinearRegex.CompileError("invalid repetition count at offset \(start)") }
        var maximum: Int? = minimum
        if current == UInt8(ascii: ",") {
            position += 1
            maximum = number()
        }
        guard current == UInt8(ascii: "}") else { throw LinearRegex.CompileError("unterminated '{' at offset \(start)") }
        position += 1
        if let maximum, maximum < minimum { throw LinearRegex.CompileError("invalid repetition range at offset \(start)") }
        return (minimum, maximum)
    }

    private mutating func number() -> Int? {
        var value: Int?
        while let byte = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
            value = (value ?? 0) * 10 + Int(byte - UInt8(ascii: "0"))
            if value! > Self.maximumBound { return nil }
            position += 1
        }
        return value
    }

    private mutating func atom() throws(LinearRegex.CompileError) -> LinearRegexNode {
        guard let byte = current else { throw LinearRegex.CompileError("unexpected end of pattern") }
        position += 1
        switch byte {
        case UInt8(ascii: "("):
            depth += 1
            guard depth <= LinearRegex.Limits.maximumNesting else {
                throw LinearRegex.CompileError("parentheses nested deeper than \(LinearRegex.Limits.maximumNesting)")
            }
            groupCount += 1
            let number = groupCount
            let inner = try alternation()
            guard current == UInt8(ascii: ")") else { throw LinearRegex.CompileError("unmatched '('") }
            position += 1
            depth -= 1
            return .group(number, inner)
        case UInt8(ascii: "."): return .any
        case UInt8(ascii: "^"): return .lineStart
        case UInt8(ascii: "$"): return .lineEnd
        case UInt8(ascii: "["): return .set(try bracket())
        case UInt8(ascii: "\\"): return try escape()
        default: return .byte(byte)
        }
    }

    private mutating func escape() throws(LinearRegex.CompileError) -> LinearRegexNode {
        guard let byte = current else { throw LinearRegex.CompileError("trailing backslash") }
        if (UInt8(ascii: "1")...UInt8(ascii: "9")).contains(byte) {
            throw LinearRegex.CompileError("back-references are not supported")
        }
        let isLetterOrDigit = (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
        if isLetterOrDigit || byte == UInt8(ascii: "<") || byte == UInt8(ascii: ">") || byte == UInt8(ascii: "`") || byte == UInt8(ascii: "'") {
            throw LinearRegex.CompileError("escape '\\\(Character(UnicodeScalar(byte)))' is not supported")
        }
        position += 1
        return .byte(byte)
    }

    /// After `[`: the members up to the closing `]`.
    private mutating func bracket() throws(LinearRegex.CompileError) -> LinearRegexByteSet {
        let start = position - 1
        var set = LinearRegexByteSet()
        var negated = false
        if current == UInt8(ascii: "^") {
            negated = true
            position += 1
        }
        var first = true
        while true {
            guard let byte = current else { throw LinearRegex.CompileError("unterminated '[' at offset \(start)") }
            if byte == UInt8(ascii: "]"), !first {
                position += 1
                break
            }
            first = false
            if byte == UInt8(ascii: "["), position + 1 < bytes.count {
                let next = bytes[position + 1]
                if next == UInt8(ascii: ".") || next == UInt8(ascii: "=") {
                    throw LinearRegex.CompileError("collating elements are not supported")
                }
                if next == UInt8(ascii: ":") {
                    set = try union(set, posixClass())
                    continue
                }
            }
            guard byte < 0x80 else { throw LinearRegex.CompileError("non-ASCII byte in a bracket expression") }
            position += 1
            if current == UInt8(ascii: "-"), position + 1 < bytes.count, bytes[position + 1] != UInt8(ascii: "]") {
                let upper = bytes[position + 1]
                guard upper < 0x80, upper != UInt8(ascii: "[") else {
                    throw LinearRegex.CompileError("invalid range end in a bracket expression")
                }
                guard upper >= byte else { throw LinearRegex.CompileError("invalid range in a bracket expression") }
                set.insert(byte...upper)
                position += 2
            } else {
                set.insert(byte)
            }
        }
        if negated { set.invert() }
        return set
    }

    /// At `[:`: the class name up to `:]`.
    private mutating func posixClass() throws(LinearRegex.CompileError) -> LinearRegexByteSet {
        position += 2
        let nameStart = position
        while position < bytes.count, bytes[position] != UInt8(ascii: ":") { position += 1 }
        let name = String(decoding: bytes[nameStart..<position], as: UTF8.self)
        guard position + 1 < bytes.count, bytes[position + 1] == UInt8(ascii: "]") else {
            throw LinearRegex.CompileError("unterminated character class")
        }
        position += 2
        guard let set = LinearRegexByteSet.posixClass(name) else {
            throw LinearRegex.CompileError("unknown character class '\(name)'")
        }
        return set
    }

    private func union(_ a: LinearRegexByteSet, _ b: LinearRegexByteSet) -> LinearRegexByteSet {
        var result = a
        for byte in UInt8.min...UInt8.max where b.contains(byte) { result.insert(byte) }
        return result
    }
}
