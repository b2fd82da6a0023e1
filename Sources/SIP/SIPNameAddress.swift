/// An address in From, To, Contact, Route, Record-Route, Reply-To: `name-addr` or `addr-spec`,
/// followed by header parameters.
///
/// `"Alice" <sip:alice@example.com;transport=tcp>;tag=1928` has display name `Alice`, a URI
/// with parameter `transport`, and header parameter `tag`. Without angle brackets
/// (`sip:alice@example.com;tag=1928`) every `;parameter` belongs to the header, and the URI
/// may not contain `?`, `,` or `;` (RFC 3261 §20; RFC 4475 `regbadct`, `cparam01`).
public struct SIPNameAddress: Sendable, Hashable, CustomStringConvertible {
    public var displayName: String?
    public var uri: SIPURI
    public var parameters: SIPParameters

    public init(displayName: String? = nil, uri: SIPURI, parameters: SIPParameters = SIPParameters()) {
        self.displayName = displayName
        self.uri = uri
        self.parameters = parameters
    }

    /// The `tag` parameter (From/To).
    public var tag: String? {
        get { parameters["tag"] }
        set { parameters["tag"] = newValue }
    }

    /// Parses one address; nil when malformed.
    public init?(_ text: String) {
        var scanner = SIPScanner(text)
        guard let address = Self.parse(&scanner), scanner.isAtEnd else { return nil }
        self = address
    }

    /// Parses one address and its parameters, stopping before a `,` that may start the next one.
    static func parse(_ scanner: inout SIPScanner) -> SIPNameAddress? {
        scanner.skipWhitespace()
        let start = scanner.index
        var displayName: String?
        if scanner.peek() == UInt8(ascii: "\"") {
            guard let quoted = scanner.readQuotedString() else { return nil }
            displayName = quoted
            scanner.skipWhitespace()
        } else if let tokens = readDisplayTokens(&scanner), scanner.peek() == UInt8(ascii: "<") {
            displayName = tokens
        } else {
            scanner.reset(to: start)
        }
        let uri: SIPURI
        if scanner.consume(UInt8(ascii: "<")) {
            let uriText = scanner.read { $0 != UInt8(ascii: ">") }
            guard scanner.consume(UInt8(ascii: ">")), let parsed = SIPURI(parsing: uriText) else { return nil }
            uri = parsed
        } else {
            guard displayName == nil else { return nil }
            let uriText = scanner.read { byte in
                byte != UInt8(ascii: ";") && byte != UInt8(ascii: ",") && !SIPSyntax.isWhitespace(byte)
            }
            guard let parsed = SIPURI(parsing: uriText), parsed.headers.isEmpty,
                !(parsed.user?.utf8.contains(UInt8(ascii: "?")) ?? false)
            else { return nil }
            uri = parsed
        }
        guard let parameters = SIPParameters.parseHeaderParameters(&scanner) else { return nil }
        scanner.skipWhitespace()
        return SIPNameAddress(displayName: displayName, uri: uri, parameters: parameters)
    }

    /// `token *(LWS token)`, joined by single spaces; nil when no token starts here.
    private static func readDisplayTokens(_ scanner: inout SIPScanner) -> String? {
        var words: [Substring] = []
        while let word = scanner.readToken() {
            words.append(word)
            scanner.skipWhitespace()
        }
        return words.isEmpty ? nil : words.joined(separator: " ")
    }

    /// Canonical form: always `name-addr` (angle brackets), display name quoted unless it is
    /// a plain token sequence.
    public var description: String {
        var output = ""
        if let displayName, !displayName.isEmpty {
            output += SIPQuoting.isTokenSequence(displayName) ? displayName : SIPQuoting.quote(displayName)
            output += " "
        }
        output += "<" + uri.description + ">"
        parameters.writeHeaderParameters(into: &output)
        return output
    }
}
