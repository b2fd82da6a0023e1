import Foundation
import Store
import XCTest

/// The key file is created once even when several openers race on a fresh directory.
final class SecretBoxTests: XCTestCase {
    func testOpenersRacingOnAFreshDirectoryEndWithOneKey() throws {
        for _ in 0..<20 {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("secretbox-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let keyFile = directory.appendingPathComponent("secret.key")
            let boxes = Boxes()
            DispatchQueue.concurrentPerform(iterations: 8) { _ in
                boxes.add(Result { try SecretBox.loadOrCreate(keyFile: keyFile) })
            }
            let opened = try boxes.all.map { try $0.get() }
            XCTAssertEqual(opened.count, 8)
            let sealed = try opened[0].seal("secret")
            for box in opened { XCTAssertEqual(try box.open(sealed), "secret") }
            XCTAssertEqual(try SecretBox.loadOrCreate(keyFile: keyFile).open(sealed), "secret", "the key on disk")
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["secret.key"], "no file left behind")
            let mode = try FileManager.default.attributesOfItem(atPath: keyFile.path)[.posixPermissions] as? Int
            XCTAssertEqual(mode, 0o600)
        }
    }
}

private final class Boxes: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [Result<SecretBox, any Error>] = []
    func add(_ result: Result<SecretBox, any Error>) { lock.withLock { results.append(result) } }
    var all: [Result<SecretBox, any Error>] { lock.withLock { results } }
}
