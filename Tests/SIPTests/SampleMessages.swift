import NIOCore

@testable import SIP

/// Typical messages from phones, used by several tests.
enum SampleMessages {
    static let invite = """
        INVITE sip:1002@pbx.example.com SIP/2.0\r
        Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds;rport\r
        Max-Forwards: 70\r
        To: <sip:1002@pbx.example.com>\r
        From: "Alice" <sip:1001@pbx.example.com>;tag=1928301774\r
        Call-ID: a84b4c76e66710@192.0.2.10\r
        CSeq: 314159 INVITE\r
        Contact: <sip:1001@192.0.2.10:5060;transport=udp>\r
        Allow: INVITE, ACK, CANCEL, BYE, OPTIONS\r
        User-Agent: baresip v1.0.0\r
        Content-Type: application/sdp\r
        Content-Length: 153\r
        \r
        v=0\r
        o=alice 2890844526 2890844526 IN IP4 192.0.2.10\r
        s=-\r
        c=IN IP4 192.0.2.10\r
        t=0 0\r
        m=audio 49170 RTP/AVP 0 8 101\r
        a=rtpmap:101 telephone-event/8000\r

        """

    static let register = """
        REGISTER sip:pbx.example.com SIP/2.0\r
        Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKnashds7;rport\r
        Max-Forwards: 70\r
        To: <sip:1001@pbx.example.com>\r
        From: <sip:1001@pbx.example.com>;tag=456248\r
        Call-ID: 843817637684230@998sdasdh09\r
        CSeq: 1826 REGISTER\r
        Contact: <sip:1001@192.0.2.10:5060>;expires=3600;+sip.instance="<urn:uuid:00000000-0000-1000-8000-000A95A0E128>"\r
        Authorization: Digest username="1001", realm="pbx.example.com", nonce="abc", uri="sip:pbx.example.com", response="0123456789abcdef0123456789abcdef", algorithm=MD5, qop=auth, nc=00000001, cnonce="xyz"\r
        Expires: 3600\r
        Content-Length: 0\r
        \r

        """

    static func parse(_ text: String) throws -> SIPMessage {
        var buffer = ByteBuffer(string: text)
        guard let message = try SIPMessageParser().parseDatagram(&buffer) else { throw SIPParseError.missing(.via) }
        return message
    }
}
