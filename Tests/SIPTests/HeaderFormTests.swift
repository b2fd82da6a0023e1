import NIOCore
import XCTest

@testable import SIP

/// Every header form the parser must understand.
final class HeaderFormTests: XCTestCase {
    func testSampleInviteParses() throws {
        let request = try XCTUnwrap(try SampleMessages.parse(SampleMessages.invite).request)
        XCTAssertEqual(request.body.readableBytes, 153)
        XCTAssertEqual(request.body.getString(at: request.body.readerIndex + 147, length: 6), "8000\r\n")
        XCTAssertEqual(request.headers.values(.allow).count, 5)
    }

    func testCompactFormsExpand() {
        let pairs: [(String, SIPHeaderName)] = [
            ("i", .callID), ("m", .contact), ("f", .from), ("t", .to), ("v", .via), ("l", .contentLength),
            ("c", .contentType), ("k", .supported), ("s", .subject), ("e", .contentEncoding), ("o", .event),
            ("u", .allowEvents), ("r", .referTo), ("b", .referredBy), ("x", .sessionExpires),
            ("I", .callID), ("V", .via),
        ]
        for (compact, long) in pairs {
            XCTAssertEqual(SIPHeaderName(compact), long, compact)
            XCTAssertEqual(SIPHeaderName(compact).description, long.description)
        }
    }

    func testNamesAreCaseInsensitiveAndCanonical() {
        XCTAssertEqual(SIPHeaderName("cAlL-iD"), .callID)
        XCTAssertEqual(SIPHeaderName("cAlL-iD").description, "Call-ID")
        XCTAssertEqual(SIPHeaderName("X-Custom"), SIPHeaderName("x-custom"))
        XCTAssertEqual(SIPHeaderName("X-Custom").description, "X-Custom")
    }

    func testMultiValuedHeadersRespectQuotesAndBrackets() {
        let value = #""Smith, John" <sip:a,b@c;x=1>;q=0.5, <sip:c@d>, "quote \" , inside" <sip:e@f>"#
        let parts = SIPHeaders.splitList(value[...])
        XCTAssertEqual(parts.count, 3)
        XCTAssertEqual(parts[1], "<sip:c@d>")
        var headers = SIPHeaders()
        headers.add(.contact, value)
        let contacts = headers.contacts
        XCTAssertEqual(contacts?.map(\.displayName), ["Smith, John", nil, "quote \" , inside"])
        XCTAssertEqual(contacts?.first?.q, 0.5)
    }

    func testViaParameters() throws {
        let via = try XCTUnwrap(SIPVia("SIP/2.0/udp [2001:db8::1]:5062;branch=z9hG4bKabc;received=2001:db8::9;rport=5070;maddr=239.1.1.1;ttl=1"))
        XCTAssertEqual(via.transport, "UDP")
        XCTAssertEqual(via.host, "2001:db8::1")
        XCTAssertEqual(via.port, 5062)
        XCTAssertEqual(via.branch, "z9hG4bKabc")
        XCTAssertEqual(via.received, "2001:db8::9")
        XCTAssertEqual(via.rport, 5070)
        XCTAssertEqual(via.maddr, "239.1.1.1")
        XCTAssertTrue(via.hasRFC3261Branch)
        XCTAssertEqual(via.sentBy, "[2001:db8::1]:5062")
        XCTAssertEqual(SIPVia(via.description), via)
        XCTAssertNil(SIPVia("SIP/2.0/UDP"))
        XCTAssertNil(SIPVia("SIP/2.0/UDP host;;"))
        XCTAssertNil(SIPVia("SIP/2.0/UDP host:99999"))
        XCTAssertEqual(SIPVia("SIP/2.0/UDP host;rport")?.hasRport, true)
        XCTAssertNil(SIPVia("SIP/2.0/UDP host;rport")?.rport)
    }

    func testURIForms() throws {
        let uri = try XCTUnwrap(SIPURI("SIPS:alice:secret@[2001:db8::10]:5061;Transport=TLS;lr?Subject=hi%20there&Priority=urgent"))
        XCTAssertEqual(uri.scheme, "sips")
        XCTAssertEqual(uri.user, "alice")
        XCTAssertEqual(uri.password, "secret")
        XCTAssertEqual(uri.host, "2001:db8::10")
        XCTAssertEqual(uri.port, 5061)
        XCTAssertEqual(uri.transport, "tls")
        XCTAssertEqual(uri.parameters["TRANSPORT"], "TLS")
        XCTAssertTrue(uri.parameters.contains("LR"))
        XCTAssertEqual(uri.headers.first, SIPURI.Header(name: "Subject", value: "hi there"))
        XCTAssertEqual(uri.description, "sips:alice:secret@[2001:db8::10]:5061;Transport=TLS;lr?Subject=hi%20there&Priority=urgent")
        XCTAssertEqual(SIPURI("sip:example.com")?.user, nil)
        XCTAssertEqual(SIPURI("sip:192.0.2.1:5060")?.port, 5060)
        XCTAssertEqual(SIPURI("tel:+1-201-555-0123")?.opaque, "+1-201-555-0123")
        for bad in [
            "sip:", "sip:@host", "sip:host:port", "sip:a b@host", "<sip:a@b>", "sip:a@[::1", "sip:a@host;", "sip:%zz@host", "sip:a@host:70000",
        ] {
            XCTAssertNil(SIPURI(bad), bad)
        }
    }

    func testNameAddressForms() throws {
        let quoted = try XCTUnwrap(SIPNameAddress(#""Bob \"B\"" <sip:bob@example.com;transport=tcp>;tag=abc;expires=60"#))
        XCTAssertEqual(quoted.displayName, #"Bob "B""#)
        XCTAssertEqual(quoted.uri.transport, "tcp")
        XCTAssertEqual(quoted.tag, "abc")
        XCTAssertEqual(quoted.expires, 60)
        let tokens = try XCTUnwrap(SIPNameAddress("Bob  Smith <sip:bob@example.com>"))
        XCTAssertEqual(tokens.displayName, "Bob Smith")
        let bare = try XCTUnwrap(SIPNameAddress("sip:bob@example.com;tag=xyz"))
        XCTAssertNil(bare.displayName)
        XCTAssertEqual(bare.tag, "xyz")
        XCTAssertTrue(bare.uri.parameters.isEmpty)
        XCTAssertNil(SIPNameAddress("Bob sip:bob@example.com"))
        XCTAssertNil(SIPNameAddress("<sip:bob@example.com"))
        XCTAssertNil(SIPNameAddress("\"unterminated <sip:bob@example.com>"))
        let instance = try XCTUnwrap(SIPNameAddress(#"<sip:1001@192.0.2.10>;+sip.instance="<urn:uuid:1234>";q=0.7"#))
        XCTAssertEqual(instance.instanceID, "<urn:uuid:1234>")
        XCTAssertEqual(instance.q, 0.7)
    }

    func testContactWildcardAndExpires() throws {
        var headers = SIPHeaders()
        headers.add(.contact, "*")
        headers.add(.expires, "0")
        XCTAssertTrue(headers.isContactWildcard)
        XCTAssertEqual(headers.contacts, [])
        XCTAssertEqual(headers.expires, 0)
        let register = try XCTUnwrap(try SampleMessages.parse(SampleMessages.register).request)
        XCTAssertEqual(register.headers.expires, 3600)
        XCTAssertEqual(register.headers.contacts?.first?.expires, 3600)
        XCTAssertEqual(register.headers.contacts?.first?.instanceID, "<urn:uuid:00000000-0000-1000-8000-000A95A0E128>")
    }

    func testCSeqCallIDMaxForwardsContentLength() throws {
        XCTAssertEqual(SIPCSeq("  42   ACK "), SIPCSeq(number: 42, method: .ack))
        XCTAssertNil(SIPCSeq("2147483648 INVITE"))
        XCTAssertNil(SIPCSeq("INVITE"))
        XCTAssertNil(SIPCSeq("1INVITE"))
        var headers = SIPHeaders()
        headers.add(.maxForwards, "70")
        headers.add(.contentLength, "12")
        headers.add(.callID, "abc@host")
        XCTAssertEqual(headers.maxForwards, 70)
        XCTAssertEqual(headers.contentLength, 12)
        XCTAssertEqual(headers.callID, "abc@host")
    }

    func testAuthorizationParameterLists() throws {
        let register = try XCTUnwrap(try SampleMessages.parse(SampleMessages.register).request)
        let credentials = try XCTUnwrap(DigestCredentials(try XCTUnwrap(register.headers[.authorization])))
        XCTAssertEqual(credentials.username, "1001")
        XCTAssertEqual(credentials.uri, "sip:pbx.example.com")
        XCTAssertEqual(credentials.qop, "auth")
        XCTAssertEqual(credentials.nonceCount, "00000001")
        XCTAssertEqual(credentials.cnonce, "xyz")
        let challenge = try XCTUnwrap(
            DigestChallenge(#"Digest realm="pbx", nonce="n1", opaque="o", stale=TRUE, algorithm=SHA-256, qop="auth,auth-int""#))
        XCTAssertEqual(challenge.algorithm, .sha256)
        XCTAssertTrue(challenge.stale)
        XCTAssertTrue(challenge.offersAuthQop)
        XCTAssertEqual(challenge.opaque, "o")
        XCTAssertNil(SIPAuthParameters("Digest realm=\"unterminated"))
        XCTAssertNil(DigestCredentials("Basic dXNlcjpwYXNz"))
    }

    func testLineFoldingAndWhitespace() throws {
        let text =
            "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom:\r\n\t<sip:x@y>\r\n  ;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1\r\n OPTIONS\r\nSubject: one\r\n two\r\n\r\n"
        let request = try XCTUnwrap(try SampleMessages.parse(text).request)
        XCTAssertEqual(request.headers.from?.tag, "1")
        XCTAssertEqual(request.headers[.subject], "one two")
        XCTAssertEqual(request.headers.cseq?.method, .options)
    }

    func testBareLineFeedsAreAccepted() throws {
        let text =
            "OPTIONS sip:a@b SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\nFrom: <sip:x@y>;tag=1\nTo: <sip:a@b>\nCall-ID: c\nCSeq: 1 OPTIONS\n\n"
        XCTAssertNotNil(try SampleMessages.parse(text).request)
    }

    func testKeepAliveDatagramIsIgnored() throws {
        var buffer = ByteBuffer(string: "\r\n\r\n")
        XCTAssertNil(try SIPMessageParser().parseDatagram(&buffer))
        XCTAssertEqual(buffer.readableBytes, 0)
    }

    func testLimits() {
        var tooMany = "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
        for index in 0..<SIPLimits.maximumHeaderCount { tooMany += "X-\(index): v\r\n" }
        XCTAssertThrowsError(try SampleMessages.parse(tooMany + "\r\n")) { error in
            XCTAssertEqual((error as? SIPParseError)?.code, .tooManyHeaders)
            XCTAssertEqual((error as? SIPParseError)?.isAddressable, true)
        }
        let long = "OPTIONS sip:a@b SIP/2.0\r\nSubject: " + String(repeating: "a", count: SIPLimits.maximumLineLength + 1) + "\r\n\r\n"
        XCTAssertThrowsError(try SampleMessages.parse(long)) { error in
            XCTAssertEqual((error as? SIPParseError)?.code, .headerTooLong)
        }
        var huge = ByteBuffer(repeating: UInt8(ascii: "a"), count: SIPLimits.maximumMessageSize + 1)
        XCTAssertThrowsError(try SIPMessageParser().parseDatagram(&huge)) { error in
            XCTAssertEqual((error as? SIPParseError)?.statusCode, 513)
        }
    }

    func testBadRequestResponseCopiesAddressingHeaders() throws {
        let text =
            "INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h:5060;branch=z9hG4bK1\r\nVia: SIP/2.0/UDP p;branch=z9hG4bK0\r\nFrom: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
        XCTAssertThrowsError(try SampleMessages.parse(text)) { error in
            guard let error = error as? SIPParseError, let response = error.response(toTag: "srv") else {
                return XCTFail("not addressable")
            }
            XCTAssertEqual(response.reasonPhrase, "Bad Request - missing Call-ID")
            XCTAssertEqual(response.headers.vias?.count, 2)
            XCTAssertEqual(response.headers.to?.tag, "srv")
            XCTAssertEqual(response.headers[.cseq], "1 INVITE")
        }
    }
}
