import AMI
import Foundation
import PBX
import SIP
import XCTest

@testable import Server

final class CallRulesTests: XCTestCase {
    let tenant = UUID(uuidString: "7D2C0E2A-1111-4222-8333-444455556666")!
    let other = "9e4f1a3b-5555-4666-8777-888899990000"

    func request(_ lines: [(String, String)]) throws -> OriginateRequest {
        try OriginateRequest.parse(AMIMessage(headers: lines.map { .init(name: $0.0, value: $0.1) }), writePermissions: [.call, .originate])
    }

    func testOwnTenantPassesAndWrapperUUIDIsNormalised() throws {
        var own = try request([
            ("Channel", "Local/100@c2c_7D2C0E2A-1111-4222-8333-444455556666/n"), ("Context", "FROM_C2C_7d2c0e2a-1111-4222-8333-444455556666"),
            ("Exten", "0391234567"), ("Priority", "1"), ("Variable", "__TENANT_UUID=7d2c0e2a-1111-4222-8333-444455556666"),
        ])
        XCTAssertNil(TenantScope.refusal(for: &own, tenant: tenant))
        XCTAssertEqual(own.resource, "100@c2c_7d2c0e2a-1111-4222-8333-444455556666/n")
        XCTAssertEqual(own.destination, .extensionTarget(context: "from_c2c_7d2c0e2a-1111-4222-8333-444455556666", exten: "0391234567", priority: 1))
    }

    func testOtherTenantsAreRefused() throws {
        var byVariable = try request([
            ("Channel", "Local/100@c2c"), ("Context", "from_c2c"), ("Exten", "1"), ("Priority", "1"),
            ("Variable", "__TENANT_UUID=\(other)"),
        ])
        XCTAssertNotNil(TenantScope.refusal(for: &byVariable, tenant: tenant))
        var byChannel = try request([("Channel", "Local/100@c2c_\(other)"), ("Context", "from_c2c"), ("Exten", "1"), ("Priority", "1")])
        XCTAssertNotNil(TenantScope.refusal(for: &byChannel, tenant: tenant))
        var byContext = try request([("Channel", "Local/100@c2c"), ("Context", "from_c2c_\(other)"), ("Exten", "1"), ("Priority", "1")])
        XCTAssertNotNil(TenantScope.refusal(for: &byContext, tenant: tenant))
    }

    func testOriginateReasons() {
        XCTAssertEqual(CallEngine.originateReason(.noAnswer, throughLocal: true), 3)
        XCTAssertEqual(CallEngine.originateReason(.userBusy, throughLocal: true), 0, "busy behind a Local channel is 0, as observed")
        XCTAssertEqual(CallEngine.originateReason(.userBusy, throughLocal: false), 5)
        XCTAssertEqual(CallEngine.originateReason(.congestion, throughLocal: false), 8)
        XCTAssertEqual(CallEngine.originateReason(.unallocated, throughLocal: false), 0)
    }

    func testNamesAndTargets() {
        XCTAssertEqual(CallEngine.deviceName(of: "PJSIP/100-0000000a"), "PJSIP/100")
        XCTAssertEqual(CallEngine.deviceName(of: "Local/100@c2c-00000000;1"), "Local/100@c2c")
        XCTAssertEqual(CallEngine.deviceName(of: "PJSIP/carrier-00000001"), "PJSIP/carrier")
        XCTAssertEqual(CallEngine.localTarget("100@c2c/n").exten, "100")
        XCTAssertEqual(CallEngine.localTarget("100@c2c/n").context, "c2c")
        XCTAssertEqual(CallEngine.localTarget("100").context, "default")
        XCTAssertEqual(CallEngine.dialStringResource("PJSIP/100"), "100")
    }

    func testCodecChoiceKeepsTheCallersFirstRelayableCodecAndPayloadTypes() throws {
        let offer = try XCTUnwrap(
            SDPSession(
                """
                v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 18 8 0 100\r\na=rtpmap:18 G729/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:100 telephone-event/8000\r\n
                """))
        let choice = try XCTUnwrap(CallSDP.choose(from: offer))
        XCTAssertEqual(choice.codec, .pcma)
        XCTAssertEqual(choice.payloadType, 8)
        XCTAssertEqual(choice.telephoneEvent, 100)
        let answer = try XCTUnwrap(CallSDP.answer(offer, choice: choice, host: "127.0.0.1", port: 10002))
        XCTAssertEqual(answer.media.first?.formats, ["8", "100"])
        XCTAssertEqual(answer.media.first?.port, 10002)
        let next = CallSDP.offer(choice: choice, host: "127.0.0.1", port: 10004)
        XCTAssertEqual(next.media.first?.formats, ["8", "100"], "the second leg is offered only the settled codec")
        XCTAssertTrue(CallSDP.remoteAudio(offer)! == ("10.0.0.1", 4000))
    }
}
