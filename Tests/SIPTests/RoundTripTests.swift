import NIOCore
import XCTest

@testable import SIP

/// serialize → parse gives back the same message.
final class RoundTripTests: XCTestCase {
    func testValidTortureMessagesRoundTrip() throws {
        for name in try TortureFixtures.names("valid") {
            let message = try TortureFixtures.parse("valid", name)
            var serialized = message.serialized
            let reparsed = try XCTUnwrap(try SIPMessageParser().parseDatagram(&serialized), name)
            XCTAssertEqual(reparsed.headers.vias, message.headers.vias, name)
            // Control characters (legal as quoted-pairs, e.g. RFC 4475 intmeth's BEL, NUL, DEL) are written
            // as spaces: nothing Centralino sends carries them.
            func written(_ address: SIPNameAddress?) -> SIPNameAddress? {
                guard var address else { return nil }
                address.displayName = address.displayName.map(SIPQuoting.lineSafe)
                return address
            }
            XCTAssertEqual(reparsed.headers.from, written(message.headers.from), name)
            XCTAssertEqual(reparsed.headers.to, written(message.headers.to), name)
            XCTAssertEqual(reparsed.headers.cseq, message.headers.cseq, name)
            XCTAssertEqual(reparsed.body, message.body, name)
            XCTAssertEqual(reparsed.request?.uri, message.request?.uri, name)
            XCTAssertEqual(reparsed.request?.method, message.request?.method, name)
            XCTAssertEqual(reparsed.response?.statusCode, message.response?.statusCode, name)
        }
    }

    func testTypedValuesRoundTrip() throws {
        let uri = SIPURI(
            user: "a b@c", host: "2001:db8::1", port: 5060,
            parameters: SIPParameters([SIPParameter(name: "transport", value: "tcp"), SIPParameter(name: "lr")]))
        XCTAssertEqual(uri.description, "sip:a%20b%40c@[2001:db8::1]:5060;transport=tcp;lr")
        XCTAssertEqual(SIPURI(uri.description), uri)
        let address = SIPNameAddress(
            displayName: "Smith, \"J\"", uri: uri,
            parameters: SIPParameters([SIPParameter(name: "tag", value: "x1")]))
        XCTAssertEqual(SIPNameAddress(address.description), address)
        XCTAssertEqual(SIPNameAddress(displayName: "Alice", uri: uri).description.hasPrefix("Alice <sip:"), true)
        let via = SIPVia(
            transport: "tcp", host: "pbx.example.com", port: 5060,
            parameters: SIPParameters([SIPParameter(name: "branch", value: "z9hG4bKx")]))
        XCTAssertEqual(via.description, "SIP/2.0/TCP pbx.example.com:5060;branch=z9hG4bKx")
        XCTAssertEqual(SIPVia(via.description), via)
    }

    func testBuiltResponseSerializesCanonically() throws {
        let request = try XCTUnwrap(try SampleMessages.parse(SampleMessages.invite).request)
        let response = SIPResponse(replyingTo: request, statusCode: 180, toTag: "as83kd9bs")
        let text = String(buffer: response.serialized)
        XCTAssertEqual(
            text,
            """
            SIP/2.0 180 Ringing\r
            Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds;rport\r
            From: "Alice" <sip:1001@pbx.example.com>;tag=1928301774\r
            To: <sip:1002@pbx.example.com>;tag=as83kd9bs\r
            Call-ID: a84b4c76e66710@192.0.2.10\r
            CSeq: 314159 INVITE\r
            Content-Length: 0\r
            \r

            """)
        let trying = SIPResponse(replyingTo: request, statusCode: 100, toTag: "ignored")
        XCTAssertNil(trying.headers.to?.tag)
    }

    func testSerializerRewritesContentLength() throws {
        var request = try XCTUnwrap(try SampleMessages.parse(SampleMessages.register).request)
        request.body = ByteBuffer(string: "hello")
        let reparsed = try SampleMessages.parse(String(buffer: request.serialized))
        XCTAssertEqual(reparsed.headers.contentLength, 5)
        XCTAssertEqual(reparsed.headers.count(of: .contentLength), 1)
        XCTAssertEqual(String(buffer: reparsed.body), "hello")
    }
}
