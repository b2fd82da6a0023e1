import NIOCore
import SIP
import XCTest

final class RegistrarTests: XCTestCase {
    let registrar = Registrar()
    let now: UInt64 = 1_800_000_000

    func register(_ contactLines: [String], expires: String? = nil, callID: String = "call-1", cseq: Int = 1) -> SIPRequest {
        var headers = SIPHeaders()
        headers.add(.via, "SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-\(cseq)")
        headers.add(.from, "<sip:100@acme.test>;tag=a")
        headers.add(.to, "<sip:100@acme.test>")
        headers.add(.callID, callID)
        headers.add(.cseq, "\(cseq) REGISTER")
        for line in contactLines { headers.add(.contact, line) }
        if let expires { headers.add(.expires, expires) }
        return SIPRequest(method: .register, uri: SIPURI(host: "acme.test"), headers: headers)
    }

    func apply(_ request: SIPRequest, _ current: [RegistrarBinding], at time: UInt64? = nil) -> (Registrar.Outcome, [RegistrarBinding]) {
        registrar.register(request, current: current, now: time ?? now, source: "127.0.0.1:5070", transport: "udp")
    }

    func testNewBindingUsesContactExpiresOverHeaderAndClampsToMaximum() {
        let (outcome, bindings) = apply(register(["<sip:100@127.0.0.1:5070>;expires=120", "<sip:100@10.0.0.1:5070>"], expires: "99999"), [])
        guard case .ok(let listed) = outcome else { return XCTFail("\(outcome)") }
        XCTAssertEqual(listed, bindings)
        XCTAssertEqual(bindings.map { $0.remaining(at: now) }, [120, 3600])
        XCTAssertEqual(bindings[0].contactHeaderValue(at: now), "<sip:100@127.0.0.1:5070>;expires=120")
    }

    func testIntervalTooBriefRefusesTheWholeRequest() {
        let existing = apply(register(["<sip:100@127.0.0.1:5070>"], expires: "600"), []).1
        let (outcome, bindings) = apply(register(["<sip:100@10.0.0.2>;expires=600", "<sip:100@10.0.0.3>;expires=10"], cseq: 2), existing)
        XCTAssertEqual(outcome, .intervalTooBrief(minimum: 60))
        XCTAssertEqual(bindings, existing, "nothing changes")
    }

    func testZeroExpiresRemovesOneBindingAndWildcardRemovesAll() {
        var bindings = apply(register(["<sip:100@a>", "<sip:100@b>"], expires: "600"), []).1
        XCTAssertEqual(bindings.count, 2)
        bindings = apply(register(["<sip:100@a>;expires=0"], cseq: 2), bindings).1
        XCTAssertEqual(bindings.map { $0.contact.uri.host }, ["b"])
        let (bad, _) = apply(register(["*"], expires: "60", cseq: 3), bindings)
        guard case .badRequest = bad else { return XCTFail("Contact * needs Expires: 0, got \(bad)") }
        let (outcome, cleared) = apply(register(["*"], expires: "0", cseq: 4), bindings)
        XCTAssertEqual(outcome, .ok(bindings: []))
        XCTAssertTrue(cleared.isEmpty)
    }

    func testRefreshReplacesByContactAndInstanceKeysAcrossContactChanges() {
        let instance = "\"<urn:uuid:00000000-0000-1000-8000-000A95A0E128>\""
        var bindings = apply(register(["<sip:100@10.0.0.1:5060>;+sip.instance=\(instance)"], expires: "600"), []).1
        bindings = apply(register(["<sip:100@10.0.0.9:5062>;+sip.instance=\(instance)"], expires: "600", cseq: 2), bindings, at: now + 100).1
        XCTAssertEqual(bindings.count, 1, "same instance, new contact: one binding")
        XCTAssertEqual(bindings[0].contact.uri.host, "10.0.0.9")
        XCTAssertEqual(bindings[0].remaining(at: now + 100), 600)
    }

    func testContactInThe200QuotesTheInstanceAsReceived() {
        let instance = "\"<urn:uuid:00000000-0000-1000-8000-000A95A0E128>\""
        let bindings = apply(register(["<sip:100@10.0.0.1:5061;transport=TLS;ob>;+sip.instance=\(instance)"], expires: "600"), []).1
        XCTAssertEqual(
            bindings.first?.contactHeaderValue(at: now),
            "<sip:100@10.0.0.1:5061;transport=TLS;ob>;expires=600;+sip.instance=\(instance)")
    }

    func testOlderCSeqOfTheSameCallIsOutOfOrder() {
        let bindings = apply(register(["<sip:100@a>"], expires: "600", cseq: 5), []).1
        let (outcome, kept) = apply(register(["<sip:100@a>"], expires: "0", cseq: 4), bindings)
        XCTAssertEqual(outcome, .outOfOrder)
        XCTAssertEqual(kept, bindings)
    }

    func testLapsedBindingsAreDroppedAndQueryListsLiveOnes() {
        let bindings = apply(register(["<sip:100@a>;expires=60", "<sip:100@b>;expires=600"]), []).1
        let (outcome, kept) = apply(register(["<sip:100@c>;expires=600"], cseq: 2), bindings, at: now + 61)
        guard case .ok(let listed) = outcome else { return XCTFail("\(outcome)") }
        XCTAssertEqual(listed.map { $0.contact.uri.host }, ["b", "c"])
        XCTAssertEqual(kept.count, 2)
    }
}
