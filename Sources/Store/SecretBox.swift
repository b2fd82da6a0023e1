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
    ///
    /// Two processes starting together on a fresh data directory (serve and apply) must end with one
    /// key: a new key is written whole (mode 0600 from its creation, flushed to disk) to a file of this
    /// process's own, then linked to `keyFile`, which fails when the file exists; the process that loses
    /// the race reads the winner's key. No reader ever sees a half-written key file, nor does a restart
    /// after a power cut find an empty one beside secrets sealed with the lost key.
    public static func loadOrCreate(keyFile: URL) throws -> SecretBox {
        let path = keyFile.path
        if FileManager.default.fileExists(atPath: path) { return try load(keyFile: keyFile) }
        let key = SymmetricKey(size: .bits256)
        let candidate = path + ".new-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        let fd = Glibc.open(candidate, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw KeyFileError(path: candidate, reason: "cannot be created: errno \(errno)") }
        defer { _ = unlink(candidate) }
        let written = key.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let flushed = fsync(fd) == 0
        _ = Glibc.close(fd)
        guard written == 32, flushed else { throw KeyFileError(path: candidate, reason: "cannot be written: errno \(errno)") }
        if link(candidate, path) == 0 {
            syncDirectory(of: path)
            return SecretBox(key: key)
        }
        guard errno == EEXIST else { throw KeyFileError(path: path, reason: "cannot be created: errno \(errno)") }
        return try load(keyFile: keyFile)
    }

    /// Flushes a directory's entries (the new key file's name) to disk.
    private static func syncDirectory(of path: String) {
        let directory = Glibc.open((path as NSString).deletingLastPathComponent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directory >= 0 else { return }
        _ = fsync(directory)
        _ = Glibc.close(directory)
    }

    private static func load(keyFile: URL) throws -> SecretBox {
        let data = try Data(contentsOf: keyFile)
        guard data.count == 32 else { throw KeyFileError(path: keyFile.path, reason: "expected 32 bytes, found \(data.count)") }
        return SecretBox(key: SymmetricKey(data: data))
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
