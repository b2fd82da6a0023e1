/// Character classes of the RFC 3261 §25 grammar, as byte predicates.
enum SIPSyntax {
    static let space = UInt8(ascii: " ")
    static let tab = UInt8(ascii: "\t")
    static let cr = UInt8(ascii: "\r")
    static let lf = UInt8(ascii: "\n")

    /// SP or HTAB.
    @inline(__always)
    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == space || byte == tab
    }

    @inline(__always)
    static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || isAlpha(byte)
    }

    @inline(__always)
    static func isAlpha(_ byte: UInt8) -> Bool {
        let lower = byte | 0x20
        return lower >= 0x61 && lower <= 0x7A
    }

    @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool {
        byte >= 0x30 && byte <= 0x39
    }

    /// `token` characters: alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~".
    @inline(__always)
    static func isToken(_ byte: UInt8) -> Bool {
        if isAlphanumeric(byte) { return true }
        switch byte {
        case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "!"), UInt8(ascii: "%"),
            UInt8(ascii: "*"), UInt8(ascii: "_"), UInt8(ascii: "+"), UInt8(ascii: "`"),
            UInt8(ascii: "'"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// `unreserved` = alphanum / mark, mark = "-" / "_" / "." / "!" / "~" / "*" / "'" / "(" / ")".
    static func isUnreserved(_ byte: UInt8) -> Bool {
        if isAlphanumeric(byte) { return true }
        switch byte {
        case UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "!"),
            UInt8(ascii: "~"), UInt8(ascii: "*"), UInt8(ascii: "'"), UInt8(ascii: "("),
            UInt8(ascii: ")"):
            return true
        default:
            return false
        }
    }

    /// Characters a URI `user` part may hold unescaped (unreserved / user-unreserved).
    static func isUserCharacter(_ byte: UInt8) -> Bool {
        if isUnreserved(byte) { return true }
        switch byte {
        case UInt8(ascii: "&"), UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "$"),
            UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "?"), UInt8(ascii: "/"):
            return true
        default:
            return false
        }
    }

    /// Characters a URI `password` may hold unescaped.
    static func isPasswordCharacter(_ byte: UInt8) -> Bool {
        if isUnreserved(byte) { return true }
        switch byte {
        case UInt8(ascii: "&"), UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "$"), UInt8(ascii: ","):
            return true
        default:
            return false
        }
    }

    /// Characters of URI parameter names and values (`paramchar`, without escapes).
    static func isParameterCharacter(_ byte: UInt8) -> Bool {
        if isUnreserved(byte) { return true }
        switch byte {
        case UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "/"), UInt8(ascii: ":"),
            UInt8(ascii: "&"), UInt8(ascii: "+"), UInt8(ascii: "$"):
            return true
        default:
            return false
        }
    }

    /// Characters of URI header names and values (`hnv-unreserved` / unreserved).
    static func isURIHeaderCharacter(_ byte: UInt8) -> Bool {
        if isUnreserved(byte) { return true }
        switch byte {
        case UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "/"), UInt8(ascii: "?"),
            UInt8(ascii: ":"), UInt8(ascii: "+"), UInt8(ascii: "$"):
            return true
        default:
            return false
        }
    }

    /// Host name and IPv4 characters.
    static func isHostCharacter(_ byte: UInt8) -> Bool {
        isAlphanumeric(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
    }

    static func isHexDigit(_ byte: UInt8) -> Bool {
        hexValue(byte) != nil
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// Parses 1*DIGIT up to `maximum`; nil on any other character, empty input or overflow.
    static func parseDecimal<S: StringProtocol>(_ text: S, maximum: UInt64) -> UInt64? {
        var value: UInt64 = 0
        var sawDigit = false
        for byte in text.utf8 {
            guard isDigit(byte) else { return nil }
            value = value &* 10 &+ UInt64(byte - 0x30)
            if value > maximum { return nil }
            sawDigit = true
        }
        return sawDigit ? value : nil
    }
}

extension StringProtocol {
    /// ASCII case-insensitive equality, without allocating lowercased copies.
    func equalsIgnoringASCIICase<Other: StringProtocol>(_ other: Other) -> Bool {
        let lhs = utf8
        let rhs = other.utf8
        guard lhs.count == rhs.count else { return false }
        for (a, b) in zip(lhs, rhs) where a != b {
            guard SIPSyntax.isAlpha(a), a | 0x20 == b | 0x20 else { return false }
        }
        return true
    }
}
