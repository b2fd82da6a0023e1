import SIP
import XCTest

/// RFC 3327 Path on the registrar: stored with the binding, bounded, echoed only with `Supported: path`.
final class RegistrarPathTests: XCTestCase {
    let registrar = Registrar()
    let now: UInt64 = 1_800_000_000

    func register(path: [String], supported: String? = nil, contact: String = "<sip:100@192.0.2.10:5062>") -> SIPRequest {
        var headers = SIPHeaders()
        headers.add(.via, "SIP/2.0/UDP 203.0.113.1:5060;branch=z9hG4bK-edge")
        headers.add(.via, "SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK-phone")
        headers.add(.from, "<sip:100@acme.test>;tag=a")
        headers.add(.to, "<sip:100@acme.test>")
        headers.add(.callID, "call-1")
        headers.add(.cseq, "1 REGISTER")
        for entry in path { headers.add(.path, entry) }
        if let supported { headers.add(.supported, supported) }
        headers.add(.contact, contact)
        headers.add(.expires, "600")
        return SIPRequest(method: .register, uri: SIPURI(host: "acme.test"), headers: headers)
    }

    func apply(_ request: SIPRequest) -> (Registrar.Outcome, [RegistrarBinding]) {
        registrar.register(request, current: [], now: now, source: "203.0.113.1:5060", transport: "udp")
    }

    func testPathIsStoredTopFirstAcrossFieldsAndCommaLists() throws {
        let request = register(
            path: ["<sip:edge1.example;lr>", "\"Edge two\" <sip:203.0.113.2:5070;lr;received=sip:198.51.100.7:4000>, <sip:203.0.113.3;lr>"])
        let (outcome, bindings) = apply(request)
        guard case .ok = outcome else { return XCTFail("\(outcome)") }
        XCTAssertEqual(
            bindings[0].path,
            ["<sip:edge1.example;lr>", "<sip:203.0.113.2:5070;lr;received=sip:198.51.100.7:4000>", "<sip:203.0.113.3;lr>"])
        XCTAssertEqual(bindings[0].firstHop?.host, "edge1.example")
        XCTAssertEqual(bindings[0].contact.uri.host, "192.0.2.10", "the Request-URI of later requests stays the contact")
    }

    func testNoPathMeansNoRouteSet() {
        let (_, bindings) = apply(register(path: []))
        XCTAssertEqual(bindings[0].path, [])
        XCTAssertNil(bindings[0].firstHop)
    }

    func testPathIsKeptWithoutSupportedPathButEchoedOnlyWithIt() {
        let without = register(path: ["<sip:203.0.113.1;lr>"])
        XCTAssertEqual(apply(without).1[0].path, ["<sip:203.0.113.1;lr>"])
        XCTAssertFalse(Registrar.supportsPath(without))
        XCTAssertTrue(Registrar.supportsPath(register(path: ["<sip:203.0.113.1;lr>"], supported: "outbound, Path")))
        XCTAssertFalse(Registrar.supportsPath(register(path: ["<sip:203.0.113.1;lr>"], supported: "pathology")))
    }

    func testTooManyEntriesTooManyBytesOrAMalformedEntryAreRefusedAndChangeNothing() {
        let tooMany = register(path: (1...5).map { "<sip:203.0.113.\($0);lr>" })
        XCTAssertEqual(apply(tooMany).0, .badRequest("Bad Request - more than 4 Path entries"))
        XCTAssertEqual(apply(tooMany).1, [])
        let four = register(path: (1...4).map { "<sip:203.0.113.\($0);lr>" })
        guard case .ok = apply(four).0 else { return XCTFail("four entries are within the limit") }
        let long = register(path: ["<sip:\(String(repeating: "e", count: 1020)).example;lr>"])
        XCTAssertEqual(apply(long).0, .badRequest("Bad Request - Path longer than 1024 bytes"))
        XCTAssertEqual(apply(register(path: ["<sip:203.0.113.1;lr"])).0, .badRequest("Bad Request - malformed Path"))
        XCTAssertEqual(apply(register(path: ["<tel:+390212345678>"])).0, .badRequest("Bad Request - malformed Path"))
    }

    func testARefreshWithoutPathDropsTheOldPath() {
        let first = apply(register(path: ["<sip:203.0.113.1;lr>"])).1
        var refresh = register(path: [])
        refresh.headers.replaceOrAdd(.cseq, "2 REGISTER")
        let (_, bindings) = registrar.register(refresh, current: first, now: now + 10, source: "192.0.2.10:5062", transport: "udp")
        XCTAssertEqual(bindings.count, 1)
        XCTAssertEqual(bindings[0].path, [], "the phone now registers directly")
    }
}
