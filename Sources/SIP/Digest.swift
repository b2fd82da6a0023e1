import ConstantTime

/// Digest computations of RFC 2617 §3.2.2 / RFC 7616 §3.4.1, with HA1 stored in place of the
/// password.
public enum Digest {
    /// HA1 = H(username:realm:password), what the store keeps instead of the password.
    public static func ha1(username: String, realm: String, password: String, algorithm: DigestAlgorithm) -> String {
        algorithm.hex("\(username):\(realm):\(password)")
    }

    /// The expected `response`: H(HA1:nonce:nc:cnonce:qop:HA2) with qop, H(HA1:nonce:HA2)
    /// without, where HA2 = H(method:uri).
    public static func response(
        ha1: String, method: SIPMethod, uri: String, nonce: String,
        qop: String?, nonceCount: String?, cnonce: String?,
        algorithm: DigestAlgorithm
    ) -> String {
        let ha2 = algorithm.hex("\(method.rawValue):\(uri)")
        if let qop, let nonceCount, let cnonce {
            return algorithm.hex("\(ha1):\(nonce):\(nonceCount):\(cnonce):\(qop):\(ha2)")
        }
        return algorithm.hex("\(ha1):\(nonce):\(ha2)")
    }

    /// Credentials answering `challenge` for `method` and `uri` (client side, e.g. to a trunk).
    public static func credentials(
        answering challenge: DigestChallenge, username: String, ha1: String,
        method: SIPMethod, uri: String, cnonce: String, nonceCount: UInt32 = 1
    ) -> DigestCredentials {
        let qop = challenge.offersAuthQop ? "auth" : nil
        let nc = challenge.offersAuthQop ? hex8(nonceCount) : nil
        let response = Self.response(
            ha1: ha1, method: method, uri: uri, nonce: challenge.nonce, qop: qop,
            nonceCount: nc, cnonce: qop == nil ? nil : cnonce, algorithm: challenge.algorithm)
        return DigestCredentials(
            username: username, realm: challenge.realm, nonce: challenge.nonce, uri: uri,
            response: response, algorithm: challenge.algorithm, opaque: challenge.opaque,
            qop: qop, nonceCount: nc, cnonce: qop == nil ? nil : cnonce)
    }

    /// Whether `credentials` prove knowledge of `ha1` for a request with `method`.
    /// Only `qop=auth` or no qop are accepted; the comparison takes constant time.
    public static func isValid(_ credentials: DigestCredentials, ha1: String, method: SIPMethod) -> Bool {
        if let qop = credentials.qop, qop.lowercased() != "auth" { return false }
        let expected = response(
            ha1: ha1, method: method, uri: credentials.uri, nonce: credentials.nonce,
            qop: credentials.qop, nonceCount: credentials.nonceCount,
            cnonce: credentials.cnonce, algorithm: credentials.algorithm)
        return ConstantTime.equals(expected, credentials.response.lowercased())
    }

    /// Whether the digest `uri` names the Request-URI (RFC 3261 §22.4: they must be the same), so
    /// credentials signed for one target cannot be replayed to another. Compared as URIs: scheme, user
    /// and host (ignoring case) must be equal; the port only when both name one (SIPp signs
    /// `sip:host:port` for a Request-URI without a port, and an SBC may rewrite the port), and URI
    /// parameters are not compared: neither changes whom the request is for.
    public static func uri(_ digestURI: String, matches requestURI: SIPURI) -> Bool {
        if digestURI == requestURI.description { return true }
        guard let signed = SIPURI(digestURI) else { return false }
        if signed.opaque != nil || requestURI.opaque != nil {
            return signed.scheme == requestURI.scheme && signed.opaque == requestURI.opaque
        }
        let portsAgree = signed.port == nil || requestURI.port == nil || signed.port == requestURI.port
        return signed.scheme == requestURI.scheme && signed.user == requestURI.user
            && signed.host.lowercased() == requestURI.host.lowercased() && portsAgree
    }

    static func hex8(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }
}
