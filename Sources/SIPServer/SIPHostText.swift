/// Host text on the SIP path by its UTF-8 bytes: these run for most messages, and Foundation's
/// `contains(_:)` (a `range(of:)`) and `trimmingCharacters(in:)` (an NSString and a CharacterSet) cost
/// more than the message's parsing.
extension StringProtocol {
    /// True when the text has a colon: an IPv6 address, written in brackets before a port.
    package var hasColon: Bool { utf8.contains(UInt8(ascii: ":")) }

    /// The text without leading and trailing `[` and `]` (an IPv6 literal's brackets), as
    /// `trimmingCharacters(in: CharacterSet(charactersIn: "[]"))`.
    package func trimmingBrackets() -> String {
        let text = Substring(self)
        let bytes = text.utf8
        func isBracket(_ byte: UInt8) -> Bool { byte == UInt8(ascii: "[") || byte == UInt8(ascii: "]") }
        var start = bytes.startIndex
        var end = bytes.endIndex
        while start < end, isBracket(bytes[start]) { start = bytes.index(after: start) }
        while start < end, isBracket(bytes[bytes.index(before: end)]) { end = bytes.index(before: end) }
        return String(text[start..<end])
    }
}
