/// A SIP or SIPS URI (RFC 3261 §19.1), or an opaque URI of another scheme.
///
/// `user`, `password`, parameter values and header values are held unescaped
/// (`sip:%75se%72@example.com` has user `user`) and escaped again when written.
/// An IPv6 host is held without its brackets. For schemes other than `sip`/`sips`
/// (`tel:`, `isbn:`, RFC 4475 `unkscm`) everything after the colon is kept in `opaque`.
public struct SIPURI: Sendable, Hashable, CustomStringConvertible {
    /// One `?name=value` URI header.
    public struct Header: Sendable, Hashable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// The scheme, lowercased: `sip`, `sips`, or another one.
    public var scheme: String
    public var user: String?
    public var password: String?
    /// Host name, IPv4 address, or IPv6 address without brackets; empty for opaque URIs.
    public var host: String
    public var port: Int?
    /// `;transport=`, `;lr`, `;user=phone`, ... in order.
    public var parameters: SIPParameters
    /// `?name=value&...` headers (not allowed in a Request-URI).
    public var headers: [Header]
    /// For non-SIP schemes: the text after `scheme:`, verbatim.
    public var opaque: String?

    /// A `sip:` (or `sips:`) URI.
    public init(
        scheme: String = "sip", user: String? = nil, password: String? = nil, host: String,
        port: Int? = nil, parameters: SIPParameters = SIPParameters(), headers: [Header] = []
    ) {
        self.scheme = scheme
        self.user = user
        self.password = password
        self.host = host
        self.port = port
        self.parameters = parameters
        self.headers = headers
        self.opaque = nil
    }

    /// A URI of a scheme this stack does not interpret.
    public init(scheme: String, opaque: String) {
        self.init(scheme: scheme.lowercased(), host: "")
        self.opaque = opaque
    }

    /// Whether the scheme is `sip` or `sips`.
    public var isSIP: Bool { scheme == "sip" || scheme == "sips" }

    /// Whether the host is an IPv6 address (written in brackets).
    public var hostIsIPv6: Bool { host.utf8.contains(UInt8(ascii: ":")) }

    /// `host` or `[v6]`, with `:port` when a port is set.
    public var hostPort: String {
        let hostText = hostIsIPv6 ? "[\(host)]" : host
        guard let port else { return hostText }
        return "\(hostText):\(port)"
    }

    /// The `transport` parameter, lowercased, if any.
    public var transport: String? { parameters["transport"]?.lowercased() }

    /// The canonical text form, escaping where the grammar requires it.
    public var description: String {
        if let opaque { return "\(scheme):\(opaque)" }
        var output = scheme + ":"
        if let user {
            output += SIPQuoting.escape(user, allowing: SIPSyntax.isUserCharacter)
            if let password {
                output += ":" + SIPQuoting.escape(password, allowing: SIPSyntax.isPasswordCharacter)
            }
            output += "@"
        }
        output += hostPort
        for parameter in parameters {
            output += ";" + SIPQuoting.escape(parameter.name, allowing: SIPSyntax.isParameterCharacter)
            if let value = parameter.value {
                output += "=" + SIPQuoting.escape(value, allowing: SIPSyntax.isParameterCharacter)
            }
        }
        for (index, header) in headers.enumerated() {
            output += index == 0 ? "?" : "&"
            output += SIPQuoting.escape(header.name, allowing: SIPSyntax.isURIHeaderCharacter)
            output += "=" + SIPQuoting.escape(header.value, allowing: SIPSyntax.isURIHeaderCharacter)
        }
        return output
    }
}
