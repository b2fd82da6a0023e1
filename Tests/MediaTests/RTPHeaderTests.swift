import NIOCore
import XCTest

@testable import Media

final class RTPHeaderTests: XCTestCase {
    func testSerialisesTheFixedHeader() {
        let header = RTPHeader(
            marker: true, payloadType: 8, sequenceNumber: 0x1234,
            timestamp: 0xDEADBEEF, ssrc: 0x01020304)
        var buffer = ByteBuffer()
        header.write(to: &buffer)
        XCTAssertEqual(
            Array(buffer.readableBytesView),
            [0x80, 0x88, 0x12, 0x34, 0xDE, 0xAD, 0xBE, 0xEF, 0x01, 0x02, 0x03, 0x04])
    }

    func testRoundTripsWithCSRCsAndPayloadWithoutConsuming() throws {
        let header = RTPHeader(payloadType: 101, sequenceNumber: 65535, timestamp: 1, ssrc: 2, csrcs: [7, 9])
        var buffer = ByteBuffer()
        header.write(to: &buffer)
        buffer.writeBytes([1, 2, 3])
        let parsed = try XCTUnwrap(RTPHeader(parsing: buffer))
        XCTAssertEqual(parsed, header)
        XCTAssertEqual(parsed.headerLength, 20)
        XCTAssertEqual(buffer.readerIndex, 0)
        XCTAssertEqual(buffer.readableBytes, 23)
    }

    func testParsesAHeaderExtension() throws {
        // V=2, X=1, PT 0; extension profile 0xBEDE with 1 word.
        let bytes: [UInt8] = [0x90, 0x00, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0xBE, 0xDE, 0x00, 0x01, 1, 2, 3, 4, 0xFF]
        let parsed = try XCTUnwrap(RTPHeader(parsing: ByteBuffer(bytes: bytes)))
        XCTAssertTrue(parsed.hasExtension)
        XCTAssertEqual(parsed.headerLength, 20)
        // Extension claiming more words than present.
        var truncated = bytes
        truncated[15] = 9
        XCTAssertNil(RTPHeader(parsing: ByteBuffer(bytes: truncated)))
    }

    func testRejectsGarbage() {
        XCTAssertNil(RTPHeader(parsing: ByteBuffer()))
        XCTAssertNil(RTPHeader(parsing: ByteBuffer(bytes: [0x80, 0x00, 0x01])))
        XCTAssertNil(RTPHeader(parsing: ByteBuffer(bytes: [UInt8](repeating: 0x80, count: 11))))
        // Version 1 and version 3.
        XCTAssertNil(RTPHeader(parsing: ByteBuffer(bytes: [0x40] + [UInt8](repeating: 0, count: 11))))
        XCTAssertNil(RTPHeader(parsing: ByteBuffer(bytes: [0xC0] + [UInt8](repeating: 0, count: 11))))
        // CC=15 but no CSRC list.
        XCTAssertNil(RTPHeader(parsing: ByteBuffer(bytes: [0x8F] + [UInt8](repeating: 0, count: 20))))
        // Random bytes never crash.
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<10_000 {
            let length = Int.random(in: 0...40, using: &generator)
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            _ = RTPHeader(parsing: ByteBuffer(bytes: bytes))
            _ = RTCPHeader(parsing: ByteBuffer(bytes: bytes))
            _ = MediaLeg.classify(.rtp, ByteBuffer(bytes: bytes))
        }
    }

    func testParsesAtTheReaderIndex() throws {
        var buffer = ByteBuffer(bytes: [0xAA, 0xBB])
        RTPHeader(payloadType: 0, sequenceNumber: 5, timestamp: 6, ssrc: 7).write(to: &buffer)
        buffer.moveReaderIndex(forwardBy: 2)
        XCTAssertEqual(try XCTUnwrap(RTPHeader(parsing: buffer)).sequenceNumber, 5)
    }

    func testRTCPHeaderAndMultiplexingTest() throws {
        let receiverReport = ByteBuffer(bytes: [0x80, 201, 0x00, 0x01, 0, 0, 0, 1])
        let rtcp = try XCTUnwrap(RTCPHeader(parsing: receiverReport))
        XCTAssertEqual(rtcp.packetType, 201)
        XCTAssertEqual(rtcp.lengthInWords, 1)
        XCTAssertTrue(RTPHeader.looksLikeMultiplexedRTCP(receiverReport))
        XCTAssertNil(RTCPHeader(parsing: ByteBuffer(bytes: [0x80, 201, 0, 1])))
        XCTAssertNil(RTCPHeader(parsing: ByteBuffer(bytes: [0x80, 0, 0, 1, 0, 0, 0, 0])))  // RTP-like PT

        var rtp = ByteBuffer()
        RTPHeader(marker: true, payloadType: 101, sequenceNumber: 1, timestamp: 1, ssrc: 1).write(to: &rtp)
        XCTAssertFalse(RTPHeader.looksLikeMultiplexedRTCP(rtp))  // 0x80 | 101 = 229, outside 192...223
        XCTAssertTrue(MediaLeg.classify(.rtp, rtp) == (true, true, 1))
        XCTAssertTrue(MediaLeg.classify(.rtp, receiverReport) == (true, false, nil))
        XCTAssertTrue(MediaLeg.classify(.rtcp, receiverReport) == (true, false, nil))
        XCTAssertTrue(MediaLeg.classify(.rtcp, rtp) == (false, false, nil))
    }
}
