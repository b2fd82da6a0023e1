/// A cursor over the UTF-8 bytes of one (already unfolded) header value or URI.
///
/// Every `read`/`consume` method leaves the position unchanged when it fails, so callers can
/// try one form and fall back to another.
struct SIPScanner {
    let text: Substring
    private(set) var index: String.Index

    init(_ text: Substring) {
        self.text = text
        self.index = text.startIndex
    }

    init(_ text: String) {
        self.init(Substring(text))
    }

    var isAtEnd: Bool { index == text.endIndex }

    /// What is left from the current position.
    var rest: Substring { text[index...] }

    func peek() -> UInt8? {
        isAtEnd ? nil : text.utf8[index]
    }

    mutating func advance() {
        index = text.utf8.index(after: index)
    }

    mutating func reset(to position: String.Index) {
        index = position
    }

    /// Skips SP and HTAB (LWS once lines are unfolded).
    mutating func skipWhitespace() {
        while let byte = peek(), SIPSyntax.isWhitespace(byte) { advance() }
    }

    /// Consumes `byte` if it is next.
    mutating func consume(_ byte: UInt8) -> Bool {
        guard peek() == byte else { return false }
        advance()
        return true
    }

    /// Consumes optional whitespace, `byte`, optional whitespace (`SEMI`, `EQUAL`, `SLASH`, ...).
    mutating func consumeSeparator(_ byte: UInt8) -> Bool {
        let start = index
        skipWhitespace()
        if consume(byte) {
            skipWhitespace()
            return true
        }
        index = start
        return false
    }

    /// Reads bytes while `predicate` holds; may be empty.
    mutating func read(while predicate: (UInt8) -> Bool) -> Substring {
        let start = index
        while let byte = peek(), predicate(byte) { advance() }
        return text[start..<index]
    }

    /// Reads one `token`, or nil if none starts here.
    mutating func readToken() -> Substring? {
        let token = read(while: SIPSyntax.isToken)
        return token.isEmpty ? nil : token
    }

    /// Reads a `quoted-string` starting at `"`, returning its unescaped content, or nil when
    /// there is no opening quote or no closing one.
    mutating func readQuotedString() -> String? {
        let start = index
        guard consume(UInt8(ascii: "\"")) else { return nil }
        var bytes: [UInt8] = []
        while let byte = peek() {
            advance()
            switch byte {
            case UInt8(ascii: "\""):
                return String(decoding: bytes, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard let escaped = peek() else {
                    index = start
                    return nil
                }
                advance()
                bytes.append(escaped)
            default:
                bytes.append(byte)
            }
        }
        index = start
        return nil
    }
}
