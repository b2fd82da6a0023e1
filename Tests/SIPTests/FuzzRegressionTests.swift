import NIOCore
import XCTest

@testable import SIP

/// Inputs the libFuzzer targets (Fuzz/, scripts/fuzz.sh) found to trap; each is also kept in
/// Fuzz/Regressions/<target>/. Every one must be parsed or rejected, never crash the process.
final class FuzzRegressionTests: XCTestCase {
    /// FuzzSIP: a Contact `expires` above 2**32 − 1 trapped in `SIPNameAddress.expires`
    /// (`UInt32(...)` of a value parsed with no upper bound). The registrar reads it on every
    /// REGISTER, so one message stopped the node. It is clamped to 2**32 − 1, as documented.
    func testContactExpiresAboveUInt32IsClamped() throws {
        for (text, expected) in [
            ("4294967295", UInt32.max), ("4294967296", UInt32.max),
            ("36001928301774", UInt32.max), ("99999999999999999999999", UInt32.max),
        ] {
            var buffer = ByteBuffer(
                string: """
                    REGISTER sip:acme.test SIP/2.0\r
                    Via: SIP/2.0/UDP 192.0.2.30:5062;branch=z9hG4bK776asdhds;rport\r
                    Max-Forwards: 70\r
                    To: <sip:100@acme.test>\r
                    From: <sip:100@acme.test>;tag=1928301774\r
                    Call-ID: a84b4c76e66710@pc33.atlanta.com\r
                    CSeq: 2 REGISTER\r
                    Contact: <sip:100@192.0.2.30:5062>;expires=\(text)\r
                    Content-Length: 0\r
                    \r

                    """)
            let message = try XCTUnwrap(try SIPMessageParser().parseDatagram(&buffer))
            let contact = try XCTUnwrap(message.headers.contacts?.first)
            XCTAssertEqual(contact.expires, expected, "expires=\(text)")
        }
    }

    /// FuzzSDP: an `m=` line whose port field is only `/` trapped in `SDPMediaDescription(mLine:)`
    /// (`portParts[0]` of an empty split). Such a description is malformed: the parser says nil.
    func testMediaLineWithEmptyPortIsRejected() {
        for port in ["/", "//"] {
            let text = "v=0\r\no=- 0 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio \(port) RTP/AVP 0\r\n"
            XCTAssertNil(SDPSession(text), "m=audio \(port)")
        }
    }
}
