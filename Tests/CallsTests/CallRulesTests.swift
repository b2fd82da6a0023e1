import Foundation
import PBX
import SIP
import XCTest

@testable import Calls

final class CallRulesTests: XCTestCase {
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
        XCTAssertEqual(CallEngine.deviceName(of: "PJSIP/zürich-00000001"), "PJSIP/zürich")
        XCTAssertEqual(CallEngine.deviceName(of: "Local/zürich@c2c-0000000f;2"), "Local/zürich@c2c")
        XCTAssertEqual(CallEngine.deviceName(of: "PJSIP/no-suffix"), "PJSIP/no-suffix")
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
