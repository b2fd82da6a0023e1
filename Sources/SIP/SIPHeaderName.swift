/// A header field name, compared without regard to case, with compact forms expanded
/// (`v` is Via, `i` is Call-ID; RFC 3261 §7.3.3, RFC 3265, RFC 3515, RFC 3892, RFC 4028).
public struct SIPHeaderName: Sendable, Hashable, CustomStringConvertible {
    /// The lowercased long form, used for comparison.
    public let key: String
    /// The spelling written on the wire: canonical for known headers, as received otherwise.
    public let description: String

    private init(key: String, canonical: String) {
        self.key = key
        self.description = canonical
    }

    /// A name as received: compact forms are expanded and known names get canonical spelling.
    public init(_ name: String) {
        let key = Self.asciiLowercased(name)
        if key.utf8.count == 1, let long = Self.compactForms[key] {
            self = long
            return
        }
        self = Self.known[key] ?? SIPHeaderName(key: key, canonical: name)
    }

    /// Lowercases ASCII letters only (header names are tokens), without Unicode case mapping.
    private static func asciiLowercased(_ name: String) -> String {
        guard name.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) else { return name }
        // Written in place: no intermediate array (names up to 15 bytes are stored inline, with no allocation).
        return String(unsafeUninitializedCapacity: name.utf8.count) { buffer in
            var count = 0
            for byte in name.utf8 {
                buffer[count] = byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
                count += 1
            }
            return count
        }
    }

    /// Lengths first: most names differ in length, and that test is inlined, where comparing two strings is a call.
    public static func == (lhs: SIPHeaderName, rhs: SIPHeaderName) -> Bool {
        lhs.key.utf8.count == rhs.key.utf8.count && lhs.key == rhs.key
    }
    public func hash(into hasher: inout Hasher) { hasher.combine(key) }

    public static let accept = SIPHeaderName(key: "accept", canonical: "Accept")
    public static let acceptContact = SIPHeaderName(key: "accept-contact", canonical: "Accept-Contact")
    public static let allow = SIPHeaderName(key: "allow", canonical: "Allow")
    public static let allowEvents = SIPHeaderName(key: "allow-events", canonical: "Allow-Events")
    public static let authorization = SIPHeaderName(key: "authorization", canonical: "Authorization")
    public static let callID = SIPHeaderName(key: "call-id", canonical: "Call-ID")
    public static let contact = SIPHeaderName(key: "contact", canonical: "Contact")
    public static let contentEncoding = SIPHeaderName(key: "content-encoding", canonical: "Content-Encoding")
    public static let contentLength = SIPHeaderName(key: "content-length", canonical: "Content-Length")
    public static let contentType = SIPHeaderName(key: "content-type", canonical: "Content-Type")
    public static let cseq = SIPHeaderName(key: "cseq", canonical: "CSeq")
    public static let date = SIPHeaderName(key: "date", canonical: "Date")
    public static let event = SIPHeaderName(key: "event", canonical: "Event")
    public static let expires = SIPHeaderName(key: "expires", canonical: "Expires")
    public static let from = SIPHeaderName(key: "from", canonical: "From")
    public static let identity = SIPHeaderName(key: "identity", canonical: "Identity")
    public static let identityInfo = SIPHeaderName(key: "identity-info", canonical: "Identity-Info")
    public static let maxForwards = SIPHeaderName(key: "max-forwards", canonical: "Max-Forwards")
    public static let minExpires = SIPHeaderName(key: "min-expires", canonical: "Min-Expires")
    public static let proxyAuthenticate = SIPHeaderName(key: "proxy-authenticate", canonical: "Proxy-Authenticate")
    public static let proxyAuthorization = SIPHeaderName(key: "proxy-authorization", canonical: "Proxy-Authorization")
    public static let proxyRequire = SIPHeaderName(key: "proxy-require", canonical: "Proxy-Require")
    public static let recordRoute = SIPHeaderName(key: "record-route", canonical: "Record-Route")
    public static let referTo = SIPHeaderName(key: "refer-to", canonical: "Refer-To")
    public static let referredBy = SIPHeaderName(key: "referred-by", canonical: "Referred-By")
    public static let rejectContact = SIPHeaderName(key: "reject-contact", canonical: "Reject-Contact")
    public static let requestDisposition = SIPHeaderName(key: "request-disposition", canonical: "Request-Disposition")
    public static let require = SIPHeaderName(key: "require", canonical: "Require")
    public static let retryAfter = SIPHeaderName(key: "retry-after", canonical: "Retry-After")
    public static let route = SIPHeaderName(key: "route", canonical: "Route")
    public static let server = SIPHeaderName(key: "server", canonical: "Server")
    public static let sessionExpires = SIPHeaderName(key: "session-expires", canonical: "Session-Expires")
    public static let subject = SIPHeaderName(key: "subject", canonical: "Subject")
    public static let supported = SIPHeaderName(key: "supported", canonical: "Supported")
    public static let to = SIPHeaderName(key: "to", canonical: "To")
    public static let unsupported = SIPHeaderName(key: "unsupported", canonical: "Unsupported")
    public static let userAgent = SIPHeaderName(key: "user-agent", canonical: "User-Agent")
    public static let via = SIPHeaderName(key: "via", canonical: "Via")
    public static let warning = SIPHeaderName(key: "warning", canonical: "Warning")
    public static let wwwAuthenticate = SIPHeaderName(key: "www-authenticate", canonical: "WWW-Authenticate")

    /// Compact forms (RFC 3261 §7.3.3 and the IANA SIP header registry).
    private static let compactForms: [String: SIPHeaderName] = [
        "a": .acceptContact, "b": .referredBy, "c": .contentType, "d": .requestDisposition,
        "e": .contentEncoding, "f": .from, "i": .callID, "j": .rejectContact, "k": .supported,
        "l": .contentLength, "m": .contact, "n": .identityInfo, "o": .event, "r": .referTo,
        "s": .subject, "t": .to, "u": .allowEvents, "v": .via, "x": .sessionExpires, "y": .identity,
    ]

    private static let known: [String: SIPHeaderName] = {
        let all: [SIPHeaderName] = [
            .accept, .acceptContact, .allow, .allowEvents, .authorization, .callID, .contact,
            .contentEncoding, .contentLength, .contentType, .cseq, .date, .event, .expires, .from,
            .identity, .identityInfo, .maxForwards, .minExpires, .proxyAuthenticate,
            .proxyAuthorization, .proxyRequire, .recordRoute, .referTo, .referredBy, .rejectContact,
            .requestDisposition, .require, .retryAfter, .route, .server, .sessionExpires, .subject,
            .supported, .to, .unsupported, .userAgent, .via, .warning, .wwwAuthenticate,
        ]
        return Dictionary(uniqueKeysWithValues: all.map { ($0.key, $0) })
    }()
}
