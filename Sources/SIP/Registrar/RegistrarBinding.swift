/// One contact registered for an address-of-record (an extension), as RFC 3261 §10.3 keeps it.
public struct RegistrarBinding: Sendable, Hashable {
    /// The Contact as the phone sent it (name-addr form without the `expires` parameter).
    public var contact: SIPNameAddress
    /// `+sip.instance` when present (RFC 5626): the binding's identity across contact changes.
    public var instance: String?
    public var callID: String
    public var cseq: UInt32
    /// When the binding lapses, in seconds of the registrar's clock.
    public var expiresAt: UInt64
    /// Transport-level source of the REGISTER (`ip:port`), where requests to this contact go.
    public var source: String
    /// `udp` or `tcp`.
    public var transport: String
    public var userAgent: String?
    /// The REGISTER's `Path` entries (RFC 3327), top first, each a name-addr (`<sip:edge;lr>`):
    /// requests to this contact carry them as their Route set and go to the first hop.
    public var path: [String]

    public init(
        contact: SIPNameAddress, instance: String?, callID: String, cseq: UInt32, expiresAt: UInt64,
        source: String, transport: String, userAgent: String?, path: [String] = []
    ) {
        self.contact = contact
        self.instance = instance
        self.callID = callID
        self.cseq = cseq
        self.expiresAt = expiresAt
        self.source = source
        self.transport = transport
        self.userAgent = userAgent
        self.path = path
    }

    /// What identifies this binding within its address-of-record: the instance, else the contact URI.
    public var key: String { instance ?? contact.uri.description }

    /// Seconds left at `now` (0 when lapsed).
    public func remaining(at now: UInt64) -> UInt64 { expiresAt > now ? expiresAt - now : 0 }

    /// The Contact header value for a 200 OK: the URI, the instance, and `expires=<remaining>`.
    public func contactHeaderValue(at now: UInt64) -> String {
        var value = "<\(contact.uri)>;expires=\(remaining(at: now))"
        // A quoted string (RFC 5626 §4.2: `+sip.instance="<urn:...>"`): `<` is not a token character,
        // and pjsip drops a 200 whose Contact carries it unquoted.
        if let instance {
            var escaped = ""
            for character in instance {
                if character == "\"" || character == "\\" { escaped.append("\\") }
                escaped.append(character)
            }
            value += ";+sip.instance=\"\(escaped)\""
        }
        return value
    }

    /// The first Path hop's URI (where requests to this contact are sent), nil without a Path.
    public var firstHop: SIPURI? { path.first.flatMap { SIPNameAddress($0)?.uri } }
}
