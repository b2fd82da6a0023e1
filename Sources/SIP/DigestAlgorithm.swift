import Crypto

/// The digest hash functions SIP phones use (RFC 7616 §3.2; SIPp and baresip know MD5,
/// linphone and pjsip also SHA-256).
public enum DigestAlgorithm: String, Sendable, Hashable, CaseIterable {
    case md5 = "MD5"
    case sha256 = "SHA-256"

    /// The algorithm named by an `algorithm=` parameter, ignoring case; MD5 when absent
    /// (RFC 2617 §3.2.1). `-sess` variants are not supported.
    public init?(parameter: String?) {
        guard let parameter else {
            self = .md5
            return
        }
        guard let match = Self.allCases.first(where: { $0.rawValue.equalsIgnoringASCIICase(parameter) }) else {
            return nil
        }
        self = match
    }

    /// Lowercase hex digest of the UTF-8 bytes of `text`.
    public func hex(_ text: String) -> String {
        switch self {
        case .md5: return Self.hex(Insecure.MD5.hash(data: Array(text.utf8)))
        case .sha256: return Self.hex(SHA256.hash(data: Array(text.utf8)))
        }
    }

    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var bytes: [UInt8] = []
        for byte in digest {
            bytes.append(digits[Int(byte >> 4)])
            bytes.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
