/// Quoted strings and %-escapes, both directions.
enum SIPQuoting {
    /// `text` with every control character but HTAB (CR, LF, NUL, DEL, …) replaced by a space: what
    /// may stand on one header line (RFC 3261 §25.1: CTLs are not allowed in header values).
    static func lineSafe(_ text: String) -> String {
        guard text.utf8.contains(where: isControl) else { return text }
        return String(decoding: text.utf8.map { isControl($0) ? SIPSyntax.space : $0 }, as: UTF8.self)
    }

    private static func isControl(_ byte: UInt8) -> Bool {
        (byte < 0x20 && byte != 0x09) || byte == 0x7F
    }

    /// Whether `text` has a control character other than HTAB (NUL, CR, LF, DEL, …).
    static func hasControl(_ text: String) -> Bool {
        text.utf8.contains(where: isControl)
    }

    /// Wraps `text` in double quotes, escaping `"` and `\` (RFC 3261 `quoted-pair`); control
    /// characters, which `qdtext` does not allow, become spaces.
    static func quote(_ text: String) -> String {
        var output = "\""
        for character in lineSafe(text).unicodeScalars {
            if character == "\"" || character == "\\" { output.unicodeScalars.append("\\") }
            output.unicodeScalars.append(character)
        }
        output += "\""
        return output
    }

    /// Decodes `%HH` escapes; nil when a `%` is not followed by two hex digits.
    static func unescape(_ text: Substring) -> String? {
        guard text.utf8.contains(UInt8(ascii: "%")) else { return String(text) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(SIPSyntax.hexValue),
                let low = iterator.next().flatMap(SIPSyntax.hexValue)
            else { return nil }
            bytes.append(high << 4 | low)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Escapes every byte for which `isAllowed` is false as `%HH`.
    static func escape(_ text: String, allowing isAllowed: (UInt8) -> Bool) -> String {
        guard !text.utf8.allSatisfy(isAllowed) else { return text }
        let hex = Array("0123456789ABCDEF".utf8)
        var bytes: [UInt8] = []
        for byte in text.utf8 {
            if isAllowed(byte) {
                bytes.append(byte)
            } else {
                bytes.append(UInt8(ascii: "%"))
                bytes.append(hex[Int(byte >> 4)])
                bytes.append(hex[Int(byte & 0x0F)])
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// True when `text` is one or more tokens separated by single spaces, so it can be written
    /// as a display name without quotes.
    static func isTokenSequence(_ text: String) -> Bool {
        guard !text.isEmpty else { return false }
        var previousWasSpace = true
        for byte in text.utf8 {
            if byte == SIPSyntax.space {
                if previousWasSpace { return false }
                previousWasSpace = true
            } else if SIPSyntax.isToken(byte) {
                previousWasSpace = false
            } else {
                return false
            }
        }
        return !previousWasSpace
    }
}
