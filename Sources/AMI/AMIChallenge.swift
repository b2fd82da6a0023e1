import ConstantTime
import Crypto

/// The MD5 challenge login (`Action: Challenge` then `Login` with `AuthType: MD5` and `Key:`).
public enum AMIChallenge {
    /// A new challenge: a decimal number of at most 9 digits, as `action_challenge()` writes `ast_random()`.
    public static func generate<R: RandomNumberGenerator>(using generator: inout R) -> String {
        String(UInt32.random(in: 0...999_999_999, using: &generator))
    }

    /// The key a client must send: lowercase hex of `md5(challenge + secret)`.
    public static func expectedKey(challenge: String, secret: String) -> String {
        let digest = Insecure.MD5.hash(data: Array((challenge + secret).utf8))
        return digest.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    /// Compares a client's key with the expected one in constant time (case-insensitive hex).
    public static func verify(key: String, challenge: String, secret: String) -> Bool {
        ConstantTime.equals(expectedKey(challenge: challenge, secret: secret), key.lowercased())
    }
}
