/// One Via entry: `SIP/2.0/UDP host:port;branch=z9hG4bK...;received=...;rport`.
public struct SIPVia: Sendable, Hashable, CustomStringConvertible {
    /// The RFC 3261 branch prefix that marks a globally unique transaction id (§8.1.1.7).
    public static let magicCookie = "z9hG4bK"

    /// `SIP/2.0` normally; kept as received so a 505 can still be addressed.
    public var protocolName: String
    public var protocolVersion: String
    /// Uppercased: `UDP`, `TCP`, `TLS`, `SCTP`, `WS`, ...
    public var transport: String
    /// The sent-by host, IPv6 without brackets.
    public var host: String
    public var port: Int?
    public var parameters: SIPParameters

    public init(transport: String, host: String, port: Int? = nil, parameters: SIPParameters = SIPParameters()) {
        self.protocolName = "SIP"
        self.protocolVersion = "2.0"
        self.transport = transport.uppercased()
        self.host = host
        self.port = port
        self.parameters = parameters
    }

    public var branch: String? {
        get { parameters["branch"] }
        set { parameters["branch"] = newValue }
    }

    /// The `received` parameter (RFC 3261 §18.2.1).
    public var received: String? {
        get { parameters["received"] }
        set { parameters["received"] = newValue }
    }

    /// `maddr`, if present.
    public var maddr: String? { parameters["maddr"] }

    /// Whether `rport` is present (RFC 3581), with or without a value.
    public var hasRport: Bool { parameters.contains("rport") }

    /// The numeric value of `rport`, when a server has filled it in; nil unless a port (0-65535).
    public var rport: Int? {
        get { parameters["rport"].flatMap { SIPSyntax.parseDecimal($0, maximum: 65_535) }.map(Int.init) }
        set { parameters["rport"] = newValue.map(String.init) }
    }

    /// True when the branch starts with the magic cookie and has something after it
    /// (RFC 4475 `badbranch` has the cookie alone, and falls back to RFC 2543 matching).
    public var hasRFC3261Branch: Bool {
        guard let branch else { return false }
        return branch.count > Self.magicCookie.count && branch.hasPrefix(Self.magicCookie)
    }

    /// `host:port` as written in Via (IPv6 in brackets).
    public var sentBy: String {
        let hostText = host.utf8.contains(UInt8(ascii: ":")) ? "[\(host)]" : host
        return port.map { "\(hostText):\($0)" } ?? hostText
    }

    public var description: String {
        var output = "\(protocolName)/\(protocolVersion)/\(transport) \(sentBy)"
        parameters.writeHeaderParameters(into: &output)
        return output
    }

    /// Parses one Via entry; nil when malformed.
    public init?(_ text: String) {
        var scanner = SIPScanner(text)
        guard let via = Self.parse(&scanner), scanner.isAtEnd else { return nil }
        self = via
    }

    /// `sent-protocol LWS sent-by *( SEMI via-params )`, with whitespace allowed around the
    /// slashes (RFC 4475 `wsinv`). Stops before a `,`.
    static func parse(_ scanner: inout SIPScanner) -> SIPVia? {
        scanner.skipWhitespace()
        guard let name = scanner.readToken(), scanner.consumeSeparator(UInt8(ascii: "/")),
            let version = scanner.readToken(), scanner.consumeSeparator(UInt8(ascii: "/")),
            let transport = scanner.readToken()
        else { return nil }
        let beforeSpace = scanner.index
        scanner.skipWhitespace()
        guard scanner.index != beforeSpace else { return nil }
        var via = SIPVia(transport: String(transport), host: "")
        via.protocolName = String(name)
        via.protocolVersion = String(version)
        if scanner.consume(UInt8(ascii: "[")) {
            let address = scanner.read { SIPSyntax.isHexDigit($0) || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") }
            guard !address.isEmpty, scanner.consume(UInt8(ascii: "]")) else { return nil }
            via.host = String(address)
        } else {
            let host = scanner.read(while: SIPSyntax.isHostCharacter)
            guard !host.isEmpty else { return nil }
            via.host = String(host)
        }
        if scanner.consumeSeparator(UInt8(ascii: ":")) {
            guard let port = SIPSyntax.parseDecimal(scanner.read(while: SIPSyntax.isDigit), maximum: 65_535) else {
                return nil
            }
            via.port = Int(port)
        }
        guard let parameters = SIPParameters.parseHeaderParameters(&scanner) else { return nil }
        via.parameters = parameters
        scanner.skipWhitespace()
        return via
    }
}
