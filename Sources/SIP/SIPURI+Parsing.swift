extension SIPURI {
    /// Parses a URI; nil when it is malformed. No whitespace is allowed anywhere
    /// (RFC 4475 `badaspec`, `lwsruri`), nor `<>` around it (`ltgtruri`).
    public init?(_ text: String) {
        self.init(parsing: Substring(text))
    }

    /// Parses a URI from a slice of a header value.
    public init?(parsing text: Substring) {
        guard let colon = text.utf8.firstIndex(of: UInt8(ascii: ":")) else { return nil }
        let schemeText = text[..<colon]
        guard let first = schemeText.utf8.first, SIPSyntax.isAlpha(first),
            schemeText.utf8.allSatisfy({
                SIPSyntax.isAlphanumeric($0) || $0 == UInt8(ascii: "+")
                    || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".")
            })
        else { return nil }
        let scheme = schemeText.lowercased()
        let rest = text[text.utf8.index(after: colon)...]
        guard scheme == "sip" || scheme == "sips" else {
            guard !rest.isEmpty, rest.utf8.allSatisfy(Self.isOpaqueCharacter) else { return nil }
            self.init(scheme: scheme, opaque: String(rest))
            return
        }
        self.init(scheme: scheme, host: "")
        guard parseSIP(rest) else { return nil }
    }

    private static func isOpaqueCharacter(_ byte: UInt8) -> Bool {
        byte > 0x20 && byte < 0x7F && byte != UInt8(ascii: "<") && byte != UInt8(ascii: ">")
            && byte != UInt8(ascii: "\"")
    }

    /// `[ userinfo "@" ] hostport uri-parameters [ headers ]`
    private mutating func parseSIP(_ text: Substring) -> Bool {
        var remainder = text
        // '@' cannot appear unescaped after the userinfo, so the first one ends it
        // (RFC 4475 `semiuri`: the user part is `user;par=u@example.net`).
        if let at = text.utf8.firstIndex(of: UInt8(ascii: "@")) {
            let userinfo = text[..<at]
            remainder = text[text.utf8.index(after: at)...]
            let userText: Substring
            if let colon = userinfo.utf8.firstIndex(of: UInt8(ascii: ":")) {
                userText = userinfo[..<colon]
                let passwordText = userinfo[userinfo.utf8.index(after: colon)...]
                guard Self.isEscapedRun(passwordText, SIPSyntax.isPasswordCharacter),
                    let password = SIPQuoting.unescape(passwordText)
                else { return false }
                self.password = password
            } else {
                userText = userinfo
            }
            guard !userText.isEmpty, Self.isEscapedRun(userText, SIPSyntax.isUserCharacter),
                let user = SIPQuoting.unescape(userText)
            else { return false }
            self.user = user
        }
        var scanner = SIPScanner(remainder)
        guard parseHostPort(&scanner), parseURIParameters(&scanner), parseURIHeaders(&scanner) else {
            return false
        }
        return scanner.isAtEnd
    }

    private mutating func parseHostPort(_ scanner: inout SIPScanner) -> Bool {
        if scanner.consume(UInt8(ascii: "[")) {
            let address = scanner.read { SIPSyntax.isHexDigit($0) || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") }
            guard !address.isEmpty, scanner.consume(UInt8(ascii: "]")) else { return false }
            host = String(address)
        } else {
            let name = scanner.read(while: SIPSyntax.isHostCharacter)
            guard !name.isEmpty else { return false }
            host = String(name)
        }
        if scanner.consume(UInt8(ascii: ":")) {
            let digits = scanner.read(while: SIPSyntax.isDigit)
            guard let value = SIPSyntax.parseDecimal(digits, maximum: 65_535) else { return false }
            port = Int(value)
        }
        return true
    }

    private mutating func parseURIParameters(_ scanner: inout SIPScanner) -> Bool {
        while scanner.consume(UInt8(ascii: ";")) {
            let nameText = scanner.read { SIPSyntax.isParameterCharacter($0) || $0 == UInt8(ascii: "%") }
            guard !nameText.isEmpty, let name = SIPQuoting.unescape(nameText) else { return false }
            var value: String?
            if scanner.consume(UInt8(ascii: "=")) {
                let valueText = scanner.read { SIPSyntax.isParameterCharacter($0) || $0 == UInt8(ascii: "%") }
                guard !valueText.isEmpty, let unescaped = SIPQuoting.unescape(valueText) else { return false }
                value = unescaped
            }
            parameters.append(SIPParameter(name: name, value: value))
        }
        return true
    }

    private mutating func parseURIHeaders(_ scanner: inout SIPScanner) -> Bool {
        guard scanner.consume(UInt8(ascii: "?")) else { return true }
        repeat {
            let isHeaderCharacter: (UInt8) -> Bool = { SIPSyntax.isURIHeaderCharacter($0) || $0 == UInt8(ascii: "%") }
            let nameText = scanner.read(while: isHeaderCharacter)
            guard !nameText.isEmpty, scanner.consume(UInt8(ascii: "=")),
                let name = SIPQuoting.unescape(nameText),
                let value = SIPQuoting.unescape(scanner.read(while: isHeaderCharacter))
            else { return false }
            headers.append(Header(name: name, value: value))
        } while scanner.consume(UInt8(ascii: "&"))
        return true
    }

    /// True when `text` holds only `allowed` bytes and well-formed `%HH` escapes.
    private static func isEscapedRun(_ text: Substring, _ allowed: (UInt8) -> Bool) -> Bool {
        text.utf8.allSatisfy { allowed($0) || $0 == UInt8(ascii: "%") }
    }
}
