import Crypto
import Foundation
import HummingbirdBcrypt

/// bcrypt (cheap cost) and SHA-256 for setting up test fixtures the way the app stores them.
enum TestBcrypt {
    static func hash(_ password: String) -> String { Bcrypt.hash(password, cost: 4) }

    static func sha256Hex(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}
