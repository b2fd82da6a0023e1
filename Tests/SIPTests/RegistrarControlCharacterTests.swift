import SIP
import XCTest

/// A REGISTER whose stored text (Call-ID, Contact, User-Agent, Path) holds a NUL or another control
/// character is refused with 400 and changes nothing: PostgreSQL refuses text with NUL, and the
/// binding's text goes to the store.
final class RegistrarControlCharacterTests: XCTestCase {
    let now: UInt64 = 1_800_000_000

    func register(
        contact: String = "<sip:100@127.0.0.1:5070>", userAgent: String? = nil, path: String? = nil, callID: String = "c-1"
    )
        -> SIPRequest
    {
        var headers = SIPHeaders()
        headers.add(.via, "SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1")
        headers.add(.from, "<sip:100@acme.test>;tag=a")
        headers.add(.to, "<sip:100@acme.test>")
        headers.add(.callID, callID)
        headers.add(.cseq, "1 REGISTER")
        headers.add(.contact, contact)
        headers.add(.expires, "600")
        if let userAgent { headers.add(.userAgent, userAgent) }
        if let path { headers.add(.path, path) }
        return SIPRequest(method: .register, uri: SIPURI(host: "acme.test"), headers: headers)
    }

    func outcome(_ request: SIPRequest) -> Registrar.Outcome {
        Registrar().register(request, current: [], now: now, source: "127.0.0.1:5070", transport: "udp").0
    }

    func testControlCharactersInStoredHeadersAreRefused() {
        let cases: [(SIPRequest, String)] = [
            (register(userAgent: "Phone\u{0}1.0"), "User-Agent"),
            (register(userAgent: "Phone\u{7F}"), "User-Agent"),
            (register(contact: "\"A\u{0}B\" <sip:100@127.0.0.1:5070>"), "Contact"),
            (register(contact: "<sip:100@127.0.0.1:5070>;+sip.instance=\"<urn:uuid:1\u{1}>\""), "Contact"),
            (register(path: "<sip:edge.test;lr>;x=\"\u{0}\""), "Path"),
            (register(callID: "c\u{0}1"), "Call-ID"),
        ]
        for (request, header) in cases {
            XCTAssertEqual(outcome(request), .badRequest("Bad Request - control character in \(header)"), header)
        }
    }

    func testHorizontalTabAndPlainTextAreAccepted() {
        guard case .ok(let bindings) = outcome(register(userAgent: "Phone\t1.0 (è)")) else { return XCTFail("refused") }
        XCTAssertEqual(bindings.first?.userAgent, "Phone\t1.0 (è)")
    }
}
