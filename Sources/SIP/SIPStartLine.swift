/// The first line of a message: `Method SP Request-URI SP SIP/2.0` or
/// `SIP/2.0 SP Status-Code SP Reason-Phrase`.
enum SIPStartLine {
    case request(SIPMethod, SIPURI)
    case response(Int, String)

    static let version = "SIP/2.0"

    /// Parses the line strictly: single spaces, nothing trailing (RFC 4475 `lwsstart`, `trws`,
    /// `lwsruri`), a URI without `<>` (`ltgtruri`), status 100–699 (`bigcode`).
    init(_ line: String) throws(SIPParseError) {
        if Self.looksLikeResponse(line) {
            let parts = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts[0].equalsIgnoringASCIICase(Self.version) else {
                throw SIPParseError(.unsupportedVersion, statusCode: 505, detail: "unsupported SIP version")
            }
            guard parts.count >= 2, parts[1].utf8.count == 3,
                let code = SIPSyntax.parseDecimal(parts[1], maximum: 999),
                SIPLimits.statusCodeRange.contains(Int(code))
            else {
                throw SIPParseError(.malformedStartLine, detail: "malformed status line")
            }
            self = .response(Int(code), parts.count == 3 ? String(parts[2]) : "")
            return
        }
        // Exactly two single spaces: `Method SP Request-URI SP SIP-Version`.
        guard let firstSpace = line.utf8.firstIndex(of: SIPSyntax.space),
            let lastSpace = line.utf8.lastIndex(of: SIPSyntax.space), firstSpace != lastSpace
        else {
            throw SIPParseError(.malformedStartLine, detail: "malformed request line")
        }
        let method = line[..<firstSpace]
        let uriText = line[line.utf8.index(after: firstSpace)..<lastSpace]
        let version = line[line.utf8.index(after: lastSpace)...]
        guard !method.isEmpty, method.utf8.allSatisfy(SIPSyntax.isToken), !uriText.isEmpty,
            !uriText.utf8.contains(SIPSyntax.space)
        else {
            throw SIPParseError(.malformedStartLine, detail: "malformed request line")
        }
        guard version.equalsIgnoringASCIICase(Self.version) else {
            if version.utf8.count > 4, version.prefix(4).equalsIgnoringASCIICase("SIP/") {
                throw SIPParseError(.unsupportedVersion, statusCode: 505, detail: "unsupported SIP version")
            }
            throw SIPParseError(.malformedStartLine, detail: "malformed request line")
        }
        guard let uri = SIPURI(parsing: uriText) else {
            throw SIPParseError(.invalidRequestURI, detail: "malformed Request-URI")
        }
        guard uri.headers.isEmpty else {
            // RFC 3261 §19.1.1: headers are not allowed in a Request-URI (RFC 4475 `escruri`).
            throw SIPParseError(.invalidRequestURI, detail: "headers in Request-URI")
        }
        self = .request(SIPMethod(String(method)), uri)
    }

    static func looksLikeResponse(_ line: String) -> Bool {
        line.utf8.count >= 4 && line.prefix(4).equalsIgnoringASCIICase("SIP/")
    }

    /// A method token, then anything, then ` SIP/x.y`: enough to answer even a request whose
    /// line is malformed (RFC 4475 `lwsstart`, `ltgtruri`).
    /// Anything that is not a status line and starts with a method-like token is treated as a
    /// request for the purpose of answering 400: a request line with junk after the version, or
    /// with the URI or version missing, still gets a reply when its Via can be read.
    static func looksLikeRequest(_ line: String) -> Bool {
        guard let first = line.split(separator: " ").first, first.utf8.allSatisfy(SIPSyntax.isToken) else {
            return false
        }
        return !first.uppercased().hasPrefix("SIP/")
    }
}
