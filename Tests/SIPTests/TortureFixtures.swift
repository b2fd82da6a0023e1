import Foundation
import NIOCore
import XCTest

@testable import SIP

/// Loads the RFC 4475 torture messages from the repository's `tests/fixtures/sip-torture/`
/// (override with `SIP_TORTURE_DIR`).
enum TortureFixtures {
    static var directory: URL {
        if let override = ProcessInfo.processInfo.environment["SIP_TORTURE_DIR"] {
            return URL(fileURLWithPath: override)
        }
        return URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("tests/fixtures/sip-torture")
    }

    static func bytes(_ folder: String, _ name: String) throws -> [UInt8] {
        let url = directory.appendingPathComponent(folder).appendingPathComponent("\(name).dat")
        return Array(try Data(contentsOf: url))
    }

    static func names(_ folder: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent(folder).path)
            .filter { $0.hasSuffix(".dat") }.map { String($0.dropLast(4)) }.sorted()
    }

    /// Parses a torture file as one UDP datagram.
    static func parse(_ folder: String, _ name: String) throws -> SIPMessage {
        var buffer = ByteBuffer(bytes: try bytes(folder, name))
        guard let message = try SIPMessageParser().parseDatagram(&buffer) else {
            throw XCTSkip("\(name) parsed as keep-alive")
        }
        return message
    }

    static func request(_ folder: String, _ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> SIPRequest {
        try XCTUnwrap(try parse(folder, name).request, file: file, line: line)
    }

    /// The parse error of a torture file that must be rejected.
    static func rejection(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> SIPParseError {
        var buffer = ByteBuffer(bytes: try bytes("invalid", name))
        do {
            let message = try SIPMessageParser().parseDatagram(&buffer)
            XCTFail("\(name) was accepted: \(String(describing: message))", file: file, line: line)
            throw XCTSkip("accepted")
        } catch let error as SIPParseError {
            return error
        }
    }
}
