import Crypto
import Foundation
import HummingbirdBcrypt
import NIOPosix

/// Random tokens, passwords, bcrypt and token digests, in one place.
enum AdminSecrets {
    /// 32 random bytes, base64url without padding (a cookie- and URL-safe 43-character token).
    static func randomToken(bytes: Int = 32) -> String {
        var generator = SystemRandomNumberGenerator()
        let data = Data((0..<bytes).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
        return data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// A password people can copy: `length` characters without look-alikes (no 0/O, 1/l/I).
    static func randomPassword(length: Int = 20) -> String {
        let alphabet = Array("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
    }

    /// A new API token; only its SHA-256 is stored.
    static func newAPIToken() -> String { "cntl_" + randomToken() }

    static func sha256Hex(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    /// bcrypt takes about a quarter of a second of CPU at the default cost, so it runs on NIO's thread
    /// pool for blocking work, never on a concurrency thread that handlers (and the store's callers) share.
    static func hashPassword(_ password: String, cost: UInt8) async throws -> String {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    static func verifyPassword(_ password: String, hash: String) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
    }

}
