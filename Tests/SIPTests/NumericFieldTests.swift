import XCTest

@testable import SIP

/// Numbers in SDP and SIP headers a stranger controls: out of range is refused or ignored, never
/// carried on (issue 9, defect 1).
final class NumericFieldTests: XCTestCase {
    private func offer(_ media: String, _ attributes: String = "") -> String {
        "v=0\r\no=x 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n\(media)\r\n\(attributes)"
    }

    func testMediaPortsThatAreNotPortsAreRefused() {
        for port in ["/", "/2", "", "99999999999999999999", "65536", "-1", "5004//2", "5004/2/3"] {
            XCTAssertNil(SDPSession(offer("m=audio \(port) RTP/AVP 0")), port)
        }
        XCTAssertEqual(SDPSession(offer("m=audio 5004/2 RTP/AVP 0"))?.media.first?.portCount, 2)
        XCTAssertNil(SDPSession(offer("m=audio 5004/99999999999999999999 RTP/AVP 0"))?.media.first?.portCount)
    }

    func testPayloadTypesBeyondSevenBitsMatchNoCodec() throws {
        for pt in ["128", "300", "-1", "99999999999999999999", "1e2", " 0"] {
            let session = try XCTUnwrap(SDPSession(offer("m=audio 5004 RTP/AVP \(pt)", "a=rtpmap:\(pt) PCMU/8000\r\n")), pt)
            let audio = try XCTUnwrap(session.media.first)
            XCTAssertFalse(SDPCodec.pcmu.matches(format: pt, in: audio), pt)
            XCTAssertNil(SDPMediaDescription.payloadType(pt), pt)
        }
        let dynamic = try XCTUnwrap(SDPSession(offer("m=audio 5004 RTP/AVP 127", "a=rtpmap:127 PCMU/8000\r\n"))?.media.first)
        XCTAssertTrue(SDPCodec.pcmu.matches(format: "127", in: dynamic))
        XCTAssertEqual(SDPMediaDescription.payloadType("0"), 0)
    }

    func testPtimeAndRtcpOutOfRangeAreIgnored() throws {
        let audio = try XCTUnwrap(SDPSession(offer("m=audio 5004 RTP/AVP 0", "a=ptime:99999999999999999999\r\na=rtcp:70000\r\n"))?.media.first)
        XCTAssertNil(audio.ptime)
        XCTAssertNil(audio.rtcpPort)
        let fine = try XCTUnwrap(SDPSession(offer("m=audio 5004 RTP/AVP 0", "a=ptime:20\r\na=rtcp:5005 IN IP4 192.0.2.1\r\n"))?.media.first)
        XCTAssertEqual(fine.ptime, 20)
        XCTAssertEqual(fine.rtcpPort, 5005)
    }

    func testViaRportIsAPortOrNothing() throws {
        XCTAssertEqual(SIPVia("SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKa;rport=5062")?.rport, 5062)
        for value in ["99999999999999999999", "65536", "-1", "x"] {
            XCTAssertNil(SIPVia("SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKa;rport=\(value)")?.rport, value)
        }
        XCTAssertNil(SIPVia("SIP/2.0/UDP 192.0.2.1:99999999999999999999;branch=z9hG4bKa"))
    }

    func testHeaderNumbersOutOfRange() {
        var headers = SIPHeaders()
        headers.add(.expires, "99999999999999999999")
        headers.add(.maxForwards, "256")
        headers.add(.contentLength, "-1")
        XCTAssertNil(headers.expires)
        XCTAssertNil(headers.maxForwards)
        XCTAssertNil(headers.contentLength)
        XCTAssertNil(SIPCSeq("2147483648 INVITE"))
        XCTAssertNil(SIPCSeq("99999999999999999999 INVITE"))
        XCTAssertEqual(SIPCSeq("2147483647 INVITE")?.number, 2_147_483_647)
        XCTAssertNil(SIPURI("sip:a@192.0.2.1:99999999999999999999"))
    }
}
