/// The `scheme name=value, name="value"` lists of WWW-Authenticate, Authorization and the
/// Proxy- variants (RFC 3261 §25.1 `challenge`/`credentials`, RFC 7616 §3).
public struct SIPAuthParameters: Sendable, Hashable {
    /// `Digest`, or another scheme as received.
    public var scheme: String
    /// Names as received (compare without case), values unquoted.
    public var parameters: SIPParameters

    public init(scheme: String, parameters: SIPParameters) {
        self.scheme = scheme
        self.parameters = parameters
    }

    /// Parses a header value; nil when malformed.
    public init?(_ text: String) {
        var scanner = SIPScanner(text)
        scanner.skipWhitespace()
        guard let scheme = scanner.readToken() else { return nil }
        self.scheme = String(scheme)
        self.parameters = SIPParameters()
        scanner.skipWhitespace()
        while !scanner.isAtEnd {
            guard let name = scanner.readToken(), scanner.consumeSeparator(UInt8(ascii: "=")) else { return nil }
            if scanner.peek() == UInt8(ascii: "\"") {
                guard let value = scanner.readQuotedString() else { return nil }
                parameters.append(SIPParameter(name: String(name), value: value, isQuoted: true))
            } else {
                guard let value = scanner.readToken() else { return nil }
                parameters.append(SIPParameter(name: String(name), value: String(value)))
            }
            guard scanner.consumeSeparator(UInt8(ascii: ",")) || scanner.isAtEnd else {
                scanner.skipWhitespace()
                guard scanner.isAtEnd else { return nil }
                break
            }
        }
    }

    /// Whether the scheme is `Digest` (any case).
    public var isDigest: Bool { scheme.equalsIgnoringASCIICase("Digest") }

    /// `Scheme name=value, name="value"`, quoting values that were quoted.
    public var description: String {
        let list = parameters.map { parameter -> String in
            let value = parameter.value ?? ""
            return "\(parameter.name)=" + (parameter.isQuoted ? SIPQuoting.quote(value) : value)
        }
        return "\(scheme) " + list.joined(separator: ", ")
    }
}
