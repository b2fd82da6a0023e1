import NIOCore
import XCTest

@testable import SIP

/// Random truncations and byte flips of valid messages must never crash the parser.
final class FuzzTests: XCTestCase {
    /// SplitMix64: small, seeded, reproducible.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    private func corpus() throws -> [[UInt8]] {
        var messages = [Array(SampleMessages.invite.utf8), Array(SampleMessages.register.utf8)]
        for name in try TortureFixtures.names("valid") { messages.append(try TortureFixtures.bytes("valid", name)) }
        return messages
    }

    /// Parses with both the datagram parser and the stream decoder; only checks it returns.
    private func exercise(_ bytes: [UInt8]) {
        var datagram = ByteBuffer(bytes: bytes)
        if let message = try? SIPMessageParser().parseDatagram(&datagram) {
            _ = message.headers.vias
            _ = message.headers.contacts
            _ = message.headers.from
            _ = message.serialized
        }
        var stream = ByteBuffer(bytes: bytes)
        var decoder = SIPStreamDecoder()
        for _ in 0..<4 {
            guard (try? decoder.decode(buffer: &stream)) != nil else { break }
        }
    }

    func testRandomTruncations() throws {
        var generator = SeededGenerator(state: 4475)
        let messages = try corpus()
        for _ in 0..<3_000 {
            let message = messages.randomElement(using: &generator)!
            exercise(Array(message.prefix(Int.random(in: 0...message.count, using: &generator))))
        }
    }

    func testRandomByteFlips() throws {
        var generator = SeededGenerator(state: 3261)
        let messages = try corpus()
        let interesting: [UInt8] = Array(" \t\r\n:;,<>\"\\@=%[]/?&0".utf8) + [0, 0xFF, 0xC3]
        for _ in 0..<5_000 {
            var message = messages.randomElement(using: &generator)!
            for _ in 0..<Int.random(in: 1...8, using: &generator) {
                let index = Int.random(in: 0..<message.count, using: &generator)
                message[index] =
                    Bool.random(using: &generator)
                    ? interesting.randomElement(using: &generator)!
                    : UInt8.random(in: 0...255, using: &generator)
            }
            exercise(message)
        }
    }

    func testRandomHeaderValueParsers() {
        var generator = SeededGenerator(state: 7616)
        let alphabet = Array("sip:@a1;=,<>\" \\[]:/.?&%Zz-*".utf8)
        for _ in 0..<5_000 {
            let length = Int.random(in: 0...40, using: &generator)
            let text = String(decoding: (0..<length).map { _ in alphabet.randomElement(using: &generator)! }, as: UTF8.self)
            _ = SIPURI(text)
            _ = SIPNameAddress(text)
            _ = SIPVia(text)
            _ = SIPCSeq(text)
            _ = SIPAuthParameters(text)
            _ = SIPHeaders.splitList(text[...])
            _ = SDPSession("v=0\r\n" + text)
        }
    }
}
