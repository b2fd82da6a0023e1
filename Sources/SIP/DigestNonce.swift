import ConstantTime
import Crypto

/// Stateless nonces: `hex(timestamp) . hex(random) . hex(HMAC)`, so a server can tell its own
/// nonces from forged ones and check their age without remembering them.
///
/// The timestamp is the issue time in seconds, passed in by the caller (time is an input). A nonce
/// may be bound to a text (the client's source address): the MAC covers it, so the nonce is
/// `invalid` when presented with another binding. Replays within the lifetime are stopped by
/// `DigestNonceCounts`, which remembers the nonce counts used.
public struct DigestNonce: Sendable {
    /// The outcome of checking a nonce.
    public enum Validity: Sendable, Hashable {
        case valid
        /// Ours, but older than the lifetime: challenge again with `stale=true`.
        case stale
        /// Not issued by us (wrong MAC or shape): challenge again without `stale`.
        case invalid
    }

    /// The HMAC key's bytes (`SymmetricKey` itself is not `Sendable`).
    private let keyBytes: [UInt8]
    /// How long a nonce stays valid, in seconds.
    public let lifetime: UInt64

    /// - Parameters:
    ///   - key: the HMAC key; keep it for the life of the process (or across restarts).
    ///   - lifetime: seconds; 300 is common (Kamailio `nonce_expire` default is 300).
    public init(key: SymmetricKey, lifetime: UInt64 = 300) {
        self.keyBytes = key.withUnsafeBytes { Array($0) }
        self.lifetime = lifetime
    }

    /// A fresh nonce issued at `now` (seconds since any fixed epoch).
    public func make<R: RandomNumberGenerator>(now: UInt64, boundTo binding: String = "", using generator: inout R) -> String {
        let random = generator.next() as UInt64
        let payload = Self.hex16(now) + Self.hex16(random)
        return payload + mac(payload, binding: binding)
    }

    /// A fresh nonce using the system random number generator.
    public func make(now: UInt64, boundTo binding: String = "") -> String {
        var generator = SystemRandomNumberGenerator()
        return make(now: now, boundTo: binding, using: &generator)
    }

    /// Checks a nonce received in credentials at time `now`, presented with `binding`.
    public func validate(_ nonce: String, now: UInt64, boundTo binding: String = "") -> Validity {
        let bytes = Array(nonce.utf8)
        guard bytes.count == 32 + 64 else { return .invalid }
        let payload = String(decoding: bytes[0..<32], as: UTF8.self)
        let tag = String(decoding: bytes[32...], as: UTF8.self)
        guard ConstantTime.equals(mac(payload, binding: binding), tag),
            let issued = UInt64(String(decoding: bytes[0..<16], as: UTF8.self), radix: 16)
        else { return .invalid }
        if issued > now { return .invalid }
        return now - issued > lifetime ? .stale : .valid
    }

    private func mac(_ payload: String, binding: String) -> String {
        let text = binding.isEmpty ? payload : payload + "|" + binding
        return DigestAlgorithm.hex(HMAC<SHA256>.authenticationCode(for: Array(text.utf8), using: SymmetricKey(data: keyBytes)))
    }

    private static func hex16(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
