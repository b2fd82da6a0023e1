/// The digest credentials of an Authorization or Proxy-Authorization header.
public struct DigestCredentials: Sendable, Hashable, CustomStringConvertible {
    public var username: String
    public var realm: String
    public var nonce: String
    /// The `uri` parameter: the URI the client signed (validate against this, not the R-URI).
    public var uri: String
    public var response: String
    public var algorithm: DigestAlgorithm
    public var opaque: String?
    /// `auth` or nil (no qop: RFC 2069 compatibility).
    public var qop: String?
    /// Nonce count, 8 hex digits, with qop.
    public var nonceCount: String?
    public var cnonce: String?

    public init(
        username: String, realm: String, nonce: String, uri: String, response: String,
        algorithm: DigestAlgorithm = .md5, opaque: String? = nil, qop: String? = nil,
        nonceCount: String? = nil, cnonce: String? = nil
    ) {
        self.username = username
        self.realm = realm
        self.nonce = nonce
        self.uri = uri
        self.response = response
        self.algorithm = algorithm
        self.opaque = opaque
        self.qop = qop
        self.nonceCount = nonceCount
        self.cnonce = cnonce
    }

    /// Parses a header value; nil when it is not Digest (RFC 4475 `regaut01`), lacks a
    /// required parameter, names an unknown algorithm, or has qop without nc/cnonce.
    public init?(_ headerValue: String) {
        guard let auth = SIPAuthParameters(headerValue), auth.isDigest else { return nil }
        let p = auth.parameters
        guard let username = p["username"], let realm = p["realm"], let nonce = p["nonce"],
            let uri = p["uri"], let response = p["response"],
            let algorithm = DigestAlgorithm(parameter: p["algorithm"])
        else { return nil }
        self.init(
            username: username, realm: realm, nonce: nonce, uri: uri, response: response,
            algorithm: algorithm, opaque: p["opaque"], qop: p["qop"], nonceCount: p["nc"], cnonce: p["cnonce"])
        if qop != nil, nonceCount == nil || cnonce == nil { return nil }
    }

    /// The header value, for requests Centralino sends to trunks.
    public var description: String {
        var parameters = SIPParameters()
        func quoted(_ name: String, _ value: String) {
            parameters.append(SIPParameter(name: name, value: value, isQuoted: true))
        }
        quoted("username", username)
        quoted("realm", realm)
        quoted("nonce", nonce)
        quoted("uri", uri)
        quoted("response", response)
        parameters.append(SIPParameter(name: "algorithm", value: algorithm.rawValue))
        if let opaque { quoted("opaque", opaque) }
        if let qop, let nonceCount, let cnonce {
            parameters.append(SIPParameter(name: "qop", value: qop))
            parameters.append(SIPParameter(name: "nc", value: nonceCount))
            quoted("cnonce", cnonce)
        }
        return SIPAuthParameters(scheme: "Digest", parameters: parameters).description
    }
}
