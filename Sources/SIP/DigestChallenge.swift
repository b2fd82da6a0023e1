/// A digest challenge for WWW-Authenticate (401) or Proxy-Authenticate (407).
public struct DigestChallenge: Sendable, Hashable, CustomStringConvertible {
    public var realm: String
    public var nonce: String
    public var algorithm: DigestAlgorithm
    /// Offer `qop="auth"` (RFC 7616); false for RFC 2069-style challenges.
    public var offersAuthQop: Bool
    public var opaque: String?
    /// The credentials were right but the nonce had expired: retry without asking the user.
    public var stale: Bool

    public init(
        realm: String, nonce: String, algorithm: DigestAlgorithm = .md5, offersAuthQop: Bool = true,
        opaque: String? = nil, stale: Bool = false
    ) {
        self.realm = realm
        self.nonce = nonce
        self.algorithm = algorithm
        self.offersAuthQop = offersAuthQop
        self.opaque = opaque
        self.stale = stale
    }

    /// The header value: `Digest realm="...", nonce="...", opaque="...", algorithm=MD5, qop="auth"`.
    public var description: String {
        var parameters = SIPParameters()
        parameters.append(SIPParameter(name: "realm", value: realm, isQuoted: true))
        parameters.append(SIPParameter(name: "nonce", value: nonce, isQuoted: true))
        if let opaque { parameters.append(SIPParameter(name: "opaque", value: opaque, isQuoted: true)) }
        if stale { parameters.append(SIPParameter(name: "stale", value: "true")) }
        parameters.append(SIPParameter(name: "algorithm", value: algorithm.rawValue))
        if offersAuthQop { parameters.append(SIPParameter(name: "qop", value: "auth", isQuoted: true)) }
        return SIPAuthParameters(scheme: "Digest", parameters: parameters).description
    }

    /// Parses a received challenge (when Centralino authenticates to a trunk); nil when it is
    /// not a Digest challenge we can answer.
    public init?(_ headerValue: String) {
        guard let auth = SIPAuthParameters(headerValue), auth.isDigest,
            let realm = auth.parameters["realm"], let nonce = auth.parameters["nonce"],
            let algorithm = DigestAlgorithm(parameter: auth.parameters["algorithm"])
        else { return nil }
        let qops = (auth.parameters["qop"] ?? "").split(separator: ",").map { $0.trimmingSpaces }
        self.init(
            realm: realm, nonce: nonce, algorithm: algorithm, offersAuthQop: qops.contains("auth"),
            opaque: auth.parameters["opaque"], stale: auth.parameters["stale"]?.lowercased() == "true")
    }
}

extension Substring {
    var trimmingSpaces: String { String(SIPHeaders.trim(self)) }
}
