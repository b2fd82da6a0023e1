import NIOCore
import NIOTestUtils
import XCTest

@testable import SIP

final class StreamDecoderTests: XCTestCase {
    private func expected(_ text: String) throws -> SIPStreamDecoder.Inbound {
        .message(try SampleMessages.parse(text))
    }

    func testVerifierOneByteAtATimeAndManyAtOnce() throws {
        let inputs = [SampleMessages.invite, SampleMessages.register, SampleMessages.invite]
        let pairs = try inputs.map { (ByteBuffer(string: $0), [try expected($0)]) }
        XCTAssertNoThrow(try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: pairs) { SIPStreamDecoder() })
    }

    func testKeepAlivesBetweenMessagesAreSkipped() throws {
        var decoder = SIPStreamDecoder()
        var buffer = ByteBuffer(string: "\r\n\r\n" + SampleMessages.register + "\r\n" + SampleMessages.invite)
        // The leading CRLFCRLF is an RFC 5626 ping; a lone CRLF is skipped.
        XCTAssertEqual(try decoder.decode(buffer: &buffer), .keepAlive)
        XCTAssertEqual(try decoder.decode(buffer: &buffer), try expected(SampleMessages.register))
        XCTAssertEqual(try decoder.decode(buffer: &buffer), try expected(SampleMessages.invite))
        XCTAssertNil(try decoder.decode(buffer: &buffer))
        XCTAssertEqual(buffer.readableBytes, 0)
    }

    func testPingSplitAcrossReadsIsOneKeepAlive() throws {
        var decoder = SIPStreamDecoder()
        var buffer = ByteBuffer(string: "\r\n")
        XCTAssertNil(try decoder.decode(buffer: &buffer))
        buffer.writeString("\r\n\r\n\r\n")
        XCTAssertEqual(try decoder.decode(buffer: &buffer), .keepAlive)
        XCTAssertEqual(try decoder.decode(buffer: &buffer), .keepAlive)
        XCTAssertNil(try decoder.decode(buffer: &buffer))
        XCTAssertEqual(buffer.readableBytes, 0)
    }

    func testBodyWaitsForContentLength() throws {
        var decoder = SIPStreamDecoder()
        let bytes = Array(SampleMessages.invite.utf8)
        var buffer = ByteBuffer(bytes: bytes.dropLast(10))
        XCTAssertNil(try decoder.decode(buffer: &buffer))
        buffer.writeBytes(bytes.suffix(10))
        guard case .message(let message)? = try decoder.decode(buffer: &buffer) else { return XCTFail("no message") }
        XCTAssertEqual(message.body.readableBytes, 153)
    }

    func testMalformedButFramedMessageDoesNotStopTheStream() throws {
        var decoder = SIPStreamDecoder()
        let bad = "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nContent-Length: 0\r\n\r\n"
        var buffer = ByteBuffer(string: bad + SampleMessages.register)
        guard case .malformed(let error)? = try decoder.decode(buffer: &buffer) else { return XCTFail("expected malformed") }
        XCTAssertEqual(error.reasonPhrase, "Bad Request - missing From")
        XCTAssertTrue(error.isAddressable)
        XCTAssertEqual(try decoder.decode(buffer: &buffer), try expected(SampleMessages.register))
    }

    func testUnframeableMessageThrows() {
        var decoder = SIPStreamDecoder()
        var negative = ByteBuffer(string: "OPTIONS sip:a@b SIP/2.0\r\nContent-Length: -1\r\n\r\n")
        XCTAssertThrowsError(try decoder.decode(buffer: &negative))
        decoder = SIPStreamDecoder()
        var endless = ByteBuffer(repeating: UInt8(ascii: "a"), count: SIPLimits.maximumMessageSize + 1)
        XCTAssertThrowsError(try decoder.decode(buffer: &endless)) { error in
            XCTAssertEqual((error as? SIPParseError)?.code, .messageTooLarge)
        }
        decoder = SIPStreamDecoder()
        var huge = ByteBuffer(string: "OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 65535\r\n\r\n")
        XCTAssertThrowsError(try decoder.decode(buffer: &huge))
    }

    func testValidTortureMessagesThroughTheStream() throws {
        var all = ByteBuffer()
        var expectedMessages: [SIPMessage] = []
        for name in try TortureFixtures.names("valid") where name != "dblreq" && name != "baddn" {
            let message = try TortureFixtures.parse("valid", name)
            expectedMessages.append(message)
            all.writeImmutableBuffer(message.serialized)
        }
        var decoder = SIPStreamDecoder()
        var received: [SIPMessage] = []
        while case .message(let message)? = try decoder.decode(buffer: &all) { received.append(message) }
        XCTAssertEqual(received.count, expectedMessages.count)
        XCTAssertEqual(received.map(\.body), expectedMessages.map(\.body))
    }
}
