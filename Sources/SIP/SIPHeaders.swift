/// The header fields of a message, in order, with case-insensitive lookup.
///
/// Each field keeps its raw (unfolded) value. A field may hold several comma-separated values
/// (`Via: a, b`); `values(_:)` splits them, respecting quotes and angle brackets.
public struct SIPHeaders: Sendable, Hashable, Sequence {
    /// One `Name: value` line.
    public struct Field: Sendable, Hashable {
        public var name: SIPHeaderName
        public var value: String

        public init(name: SIPHeaderName, value: String) {
            self.name = name
            self.value = value
        }
    }

    public private(set) var fields: [Field]

    public init(_ fields: [Field] = []) {
        self.fields = fields
    }

    public func makeIterator() -> IndexingIterator<[Field]> {
        fields.makeIterator()
    }

    public var count: Int { fields.count }

    /// The value of the first field called `name`.
    public subscript(name: SIPHeaderName) -> String? {
        fields.first { $0.name == name }?.value
    }

    /// Every field value called `name`, unsplit, in order.
    public func all(_ name: SIPHeaderName) -> [String] {
        fields.compactMap { $0.name == name ? $0.value : nil }
    }

    /// Number of fields called `name`.
    public func count(of name: SIPHeaderName) -> Int {
        fields.reduce(0) { $0 + ($1.name == name ? 1 : 0) }
    }

    /// Every comma-separated value across all fields called `name`, trimmed.
    public func values(_ name: SIPHeaderName) -> [Substring] {
        fields.flatMap { $0.name == name ? SIPHeaders.splitList($0.value[...]) : [] }
    }

    public mutating func add(_ name: SIPHeaderName, _ value: String) {
        fields.append(Field(name: name, value: value))
    }

    /// Inserts a field before all others (a new top Via).
    public mutating func prepend(_ name: SIPHeaderName, _ value: String) {
        fields.insert(Field(name: name, value: value), at: 0)
    }

    /// Replaces every field called `name` with one field holding `value`, at the position of
    /// the first one (or at the end).
    public mutating func replaceOrAdd(_ name: SIPHeaderName, _ value: String) {
        if let index = fields.firstIndex(where: { $0.name == name }) {
            fields[index].value = value
            var seen = false
            fields.removeAll { field in
                guard field.name == name else { return false }
                defer { seen = true }
                return seen
            }
        } else {
            add(name, value)
        }
    }

    public mutating func remove(_ name: SIPHeaderName) {
        fields.removeAll { $0.name == name }
    }

    /// Splits a header value at top-level commas: not inside `"..."` (with `\` escapes) nor
    /// inside `<...>`. Elements are trimmed of SP/HTAB; empty elements are kept so that a
    /// malformed list (`;;,;,,`) can be rejected by the element parser.
    static func splitList(_ value: Substring) -> [Substring] {
        let hasComma = value.utf8.withContiguousStorageIfAvailable { $0.contains(UInt8(ascii: ",")) }
        guard hasComma ?? value.utf8.contains(UInt8(ascii: ",")) else { return [trim(value)] }
        var elements: [Substring] = []
        var start = value.startIndex
        var inQuotes = false
        var inAngles = false
        var escaped = false
        var index = value.startIndex
        let utf8 = value.utf8
        while index != value.endIndex {
            let byte = utf8[index]
            if escaped {
                escaped = false
            } else if inQuotes {
                if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inQuotes = false }
            } else if byte == UInt8(ascii: "\"") {
                inQuotes = true
            } else if byte == UInt8(ascii: "<") {
                inAngles = true
            } else if byte == UInt8(ascii: ">") {
                inAngles = false
            } else if byte == UInt8(ascii: ","), !inAngles {
                elements.append(trim(value[start..<index]))
                start = utf8.index(after: index)
            }
            index = utf8.index(after: index)
        }
        elements.append(trim(value[start...]))
        return elements
    }

    static func trim(_ text: Substring) -> Substring {
        var text = text
        while let first = text.utf8.first, SIPSyntax.isWhitespace(first) { text = text.dropFirst() }
        while let last = text.utf8.last, SIPSyntax.isWhitespace(last) { text = text.dropLast() }
        return text
    }
}
