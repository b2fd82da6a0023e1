import Crypto
import Foundation

/// Encrypts secrets at rest (AMI passwords, trunk passwords) with AES-GCM and a key file kept
/// beside the database. The key file is created on first use, readable by its owner only.
public struct SecretBox: Sendable {
    /// The raw key bytes (SymmetricKey itself is not Sendable).
    private let keyBytes: [UInt8]
    private var key: SymmetricKey { SymmetricKey(data: keyBytes) }

    public struct KeyFileError: Error, CustomStringConvertible {
        public let path: String
        public let reason: String
        public var description: String { "secret key file \(path): \(reason)" }
    }

    public init(key: SymmetricKey) {
        self.keyBytes = key.withUnsafeBytes { Array($0) }
    }

    /// Loads the 256-bit key from `keyFile`, creating it with mode 0600 when absent.
    public static func loadOrCreate(keyFile: URL) throws -> SecretBox {
        let path = keyFile.path
        if FileManager.default.fileExists(atPath: path) {
            let data = try Data(contentsOf: keyFile)
            guard data.count == 32 else { throw KeyFileError(path: path, reason: "expected 32 bytes, found \(data.count)") }
            return SecretBox(key: SymmetricKey(data: data))
        }
        let key = SymmetricKey(size: .bits256)
        let data = key.withUnsafeBytes { Data($0) }
        guard FileManager.default.createFile(atPath: path, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw KeyFileError(path: path, reason: "cannot be created")
        }
        return SecretBox(key: key)
    }

    public func seal(_ plaintext: String) throws -> Data {
        let box = try AES.GCM.seal(Data(plaintext.utf8), using: key)
        guard let combined = box.combined else { throw KeyFileError(path: "-", reason: "AES-GCM produced no combined form") }
        return combined
    }

    public func open(_ sealed: Data) throws -> String {
        let box = try AES.GCM.SealedBox(combined: sealed)
        return String(decoding: try AES.GCM.open(box, using: key), as: UTF8.self)
    }
}
