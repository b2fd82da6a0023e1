import NIOCore
import XCTest

@testable import SIP

final class SDPTests: XCTestCase {
    private let linphoneOffer = """
        v=0\r
        o=1001 3426 678 IN IP4 192.0.2.10\r
        s=Talk\r
        c=IN IP4 192.0.2.10\r
        b=AS:380\r
        t=0 0\r
        a=rtcp-xr:rcvr-rtt=all:10000\r
        m=audio 7078 RTP/AVP 96 97 0 8 9 101\r
        a=rtpmap:96 opus/48000/2\r
        a=fmtp:96 useinbandfec=1\r
        a=rtpmap:97 speex/16000\r
        a=rtpmap:101 telephone-event/8000\r
        a=fmtp:101 0-16\r
        a=ptime:20\r
        a=rtcp:7079\r
        a=sendonly\r
        m=video 9078 RTP/AVP 96\r
        a=rtpmap:96 VP8/90000\r

        """

    func testParseOffer() throws {
        let session = try XCTUnwrap(SDPSession(linphoneOffer))
        XCTAssertEqual(session.origin.sessionVersion, 678)
        XCTAssertEqual(session.origin.connection.address, "192.0.2.10")
        XCTAssertEqual(session.sessionName, "Talk")
        XCTAssertEqual(session.connection?.address, "192.0.2.10")
        XCTAssertEqual(session.otherLines, ["b=AS:380"])
        XCTAssertEqual(session.media.count, 2)
        let audio = session.media[0]
        XCTAssertEqual(audio.port, 7078)
        XCTAssertEqual(audio.formats, ["96", "97", "0", "8", "9", "101"])
        XCTAssertEqual(audio.rtpmap(for: "96")?.encoding, "opus")
        XCTAssertEqual(audio.rtpmap(for: "96")?.channels, 2)
        XCTAssertEqual(audio.fmtp(for: "101"), "0-16")
        XCTAssertEqual(audio.ptime, 20)
        XCTAssertEqual(audio.rtcpPort, 7079)
        XCTAssertEqual(audio.direction, .sendonly)
        XCTAssertEqual(session.media[1].direction, .sendrecv)
    }

    func testRoundTrip() throws {
        let session = try XCTUnwrap(SDPSession(linphoneOffer))
        XCTAssertEqual(session.description, linphoneOffer)
        XCTAssertEqual(SDPSession(session.description), session)
    }

    /// Lines end in CRLF, LF or CR, runs of spaces separate fields, and values keep any UTF-8 as sent.
    func testLineEndingsSpacesAndNonASCIIValues() throws {
        let text = "v=0\no=- 7 8  IN IP4 192.0.2.1\rs=Grüße – 電話\r\n\r\nt=0 0\nm=audio  4000/2 RTP/AVP 0\na=label:Fräulein:1\n"
        let session = try XCTUnwrap(SDPSession(text))
        XCTAssertEqual(session.origin.sessionVersion, 8)
        XCTAssertEqual(session.sessionName, "Grüße – 電話")
        XCTAssertEqual(session.media.first?.port, 4000)
        XCTAssertEqual(session.media.first?.portCount, 2)
        XCTAssertEqual(session.media.first?.attributes, [SDPAttribute("label", "Fräulein:1")])
        XCTAssertEqual(SDPSession(session.description), session)
        // a line type is one ASCII letter before `=`
        XCTAssertNil(SDPSession("v=0\r\no=- 1 1 IN IP4 a\r\né=x\r\n"))
        XCTAssertNil(SDPSession("v=0\r\no=- 1 1 IN IP4 a\r\nx\r\n"))
        XCTAssertNil(SDPSession("v=0\r\no=- 1 1 IN IP4 a\r\nm=audio / RTP/AVP 0\r\n"))
        XCTAssertNil(SDPSession("v=0\r\no=- 1 1 IN IP4 a\r\nm=audio 4000/1/2 RTP/AVP 0\r\n"))
        XCTAssertNil(SDPSession("v=0\r\no=- 1 1 IN IP4 a\r\nc=IN IP4\r\n"))
    }

    func testTortureBodiesParse() throws {
        for name in ["wsinv", "esc01", "longreq"] {
            let body = try TortureFixtures.request("valid", name).body
            let session = try XCTUnwrap(SDPSession(body: body), name)
            XCTAssertEqual(session.media.map(\.media), ["audio", "video"], name)
            // `a=rtpmap:31 LPC` lacks the clock rate RFC 4566 requires: kept, but not interpreted.
            XCTAssertEqual(session.media[1].attribute("rtpmap"), "31 LPC", name)
            XCTAssertNil(session.media[1].rtpmap(for: "31"), name)
        }
        XCTAssertNil(SDPSession("o=x 1 1 IN IP4 a\r\n"))
        XCTAssertNil(SDPSession("v=0\r\no=x\r\n"))
        XCTAssertNil(SDPSession("v=0\r\no=x 1 1 IN IP4 a\r\nm=audio\r\n"))
    }

    func testAnswerPicksCommonCodecsAndRejectsOtherStreams() throws {
        let offer = try XCTUnwrap(SDPSession(linphoneOffer))
        let origin = SDPOrigin(
            username: "centralino", sessionID: "42", sessionVersion: 1,
            connection: SDPConnection(address: "198.51.100.1"))
        let answer = try XCTUnwrap(
            SDPOfferAnswer.answer(
                offer, origin: origin, address: SDPConnection(address: "198.51.100.1"),
                port: 20000, supported: [.pcma, .pcmu, .opus, .telephoneEvent]))
        XCTAssertEqual(answer.media.count, 2)
        let audio = answer.media[0]
        XCTAssertEqual(audio.port, 20000)
        XCTAssertEqual(audio.formats, ["96", "0", "8", "101"])
        XCTAssertEqual(audio.rtpmap(for: "101")?.encoding, "telephone-event")
        XCTAssertEqual(audio.fmtp(for: "96"), "useinbandfec=1")
        XCTAssertEqual(audio.direction, .recvonly)
        XCTAssertEqual(audio.ptime, 20)
        XCTAssertEqual(answer.media[1].port, 0)
        XCTAssertEqual(answer.media[1].media, "video")
        XCTAssertNotNil(SDPSession(answer.description))
    }

    func testNoCommonCodecMeansNoAnswer() throws {
        let offer = try XCTUnwrap(
            SDPSession(
                "v=0\r\no=- 1 1 IN IP4 a\r\ns=-\r\nc=IN IP4 a\r\nt=0 0\r\nm=audio 4000 RTP/AVP 18 101\r\na=rtpmap:101 telephone-event/8000\r\n"))
        let origin = SDPOrigin(sessionID: "1", sessionVersion: 1, connection: SDPConnection(address: "b"))
        XCTAssertNil(
            SDPOfferAnswer.answer(
                offer, origin: origin, address: SDPConnection(address: "b"), port: 1,
                supported: [.pcmu, .telephoneEvent]))
    }

    func testOffer() throws {
        let origin = SDPOrigin(sessionID: "7", sessionVersion: 7, connection: SDPConnection(address: "198.51.100.1"))
        let offer = SDPOfferAnswer.offer(
            origin: origin, address: SDPConnection(address: "198.51.100.1"), port: 30000,
            codecs: [.pcmu, .pcma, .g722, .opus, .telephoneEvent])
        let media = try XCTUnwrap(SDPSession(offer.description)?.media.first)
        XCTAssertEqual(media.formats, ["0", "8", "9", "111", "101"])
        XCTAssertEqual(media.rtpmap(for: "9")?.clockRate, 8000)
        XCTAssertEqual(media.fmtp(for: "101"), "0-16")
        XCTAssertEqual(media.direction, .sendrecv)
    }
}
