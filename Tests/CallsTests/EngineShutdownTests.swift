import Foundation
import NIOCore
import SIP
import SIPServer
import XCTest

@testable import Calls

/// `CallEngine.endAllCalls` (orderly shutdown): every call ends with BYE or CANCEL, the drain waits
/// for the far ends' answers, and nothing is left behind.
final class EngineShutdownTests: XCTestCase {
    typealias H = EngineHarness

    func testAnsweredCallGetsByeOnBothLegsAndDrainsWhenBothAnswer() throws {
        let pbx = EngineHarness()
        pbx.originate("Local/100@internal", exten: "101")
        let toAgent = try XCTUnwrap(pbx.expectRequest(.invite, to: H.phone100))
        pbx.respond(to: toAgent, 200, from: H.phone100)
        let to101 = try XCTUnwrap(pbx.expectRequest(.invite, to: H.phone101))
        pbx.respond(to: to101, 200, from: H.phone101)
        XCTAssertEqual(pbx.engine.channels.count, 4)

        let shutdown = CallShutdown()
        pbx.action { $0.endAllCalls(shutdown) }
        XCTAssertEqual(pbx.engine.channels.count, 0, "every channel hung up at once")
        XCTAssertEqual(pbx.media.openPorts, 0, "every media port closed")
        let bye100 = try XCTUnwrap(pbx.expectRequest(.bye, to: H.phone100))
        let bye101 = try XCTUnwrap(pbx.expectRequest(.bye, to: H.phone101))
        XCTAssertEqual(bye100.headers.callID, toAgent.headers.callID)
        XCTAssertEqual(bye101.headers.callID, to101.headers.callID)
        XCTAssertFalse(pbx.engine.callsDrained(shutdown), "two BYEs unanswered")
        pbx.respond(to: bye100, 200, from: H.phone100)
        XCTAssertFalse(pbx.engine.callsDrained(shutdown), "one BYE unanswered")
        pbx.respond(to: bye101, 200, from: H.phone101)
        XCTAssertTrue(pbx.engine.callsDrained(shutdown))
        pbx.assertIdle()
    }

    func testUnansweredByeDrainsWhenItTimesOut() throws {
        let pbx = EngineHarness()
        pbx.originate("Local/100@internal", exten: "101")
        let toAgent = try XCTUnwrap(pbx.expectRequest(.invite, to: H.phone100))
        pbx.respond(to: toAgent, 200, from: H.phone100)
        let to101 = try XCTUnwrap(pbx.expectRequest(.invite, to: H.phone101))
        pbx.respond(to: to101, 200, from: H.phone101)

        let shutdown = CallShutdown()
        pbx.action { $0.endAllCalls(shutdown) }
        let bye100 = try XCTUnwrap(pbx.expectRequest(.bye, to: H.phone100))
        XCTAssertNotNil(pbx.expectRequest(.bye, to: H.phone101))
        pbx.respond(to: bye100, 200, from: H.phone100)
        pbx.advance(.seconds(31))
        XCTAssertFalse(pbx.engine.callsDrained(shutdown), "101's BYE still retransmitted")
        pbx.advance(.seconds(2))
        XCTAssertTrue(pbx.engine.callsDrained(shutdown), "Timer F (64·T1) gave up on it")
        pbx.assertIdle()
    }

    func testRingingCallIsCancelledAndDrainsOnThe487() throws {
        let pbx = EngineHarness()
        pbx.originate("Local/100@internal", exten: "101")
        let toAgent = try XCTUnwrap(pbx.expectRequest(.invite, to: H.phone100))
        pbx.respond(to: toAgent, 180, from: H.phone100)

        let shutdown = CallShutdown()
        pbx.action { $0.endAllCalls(shutdown) }
        let cancel = try XCTUnwrap(pbx.expectRequest(.cancel, to: H.phone100))
        XCTAssertEqual(cancel.headers.topVia?.branch, toAgent.headers.topVia?.branch)
        XCTAssertFalse(pbx.engine.callsDrained(shutdown), "the INVITE is not final yet")
        pbx.respond(to: cancel, 200, from: H.phone100)
        pbx.respond(to: toAgent, 487, from: H.phone100)
        XCTAssertTrue(pbx.engine.callsDrained(shutdown))
        XCTAssertEqual(pbx.outcomes.map(\.success), [false])
        pbx.assertIdle()
    }
}
