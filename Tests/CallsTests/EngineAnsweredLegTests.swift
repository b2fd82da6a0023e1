import Foundation
import NIOCore
import PBX
import SIP
import XCTest

@testable import Calls

/// An answered leg whose call has no future is hung up (BYE) at once, never left up. Under overload
/// at 600/s (docs/performance.md) the agent's channel of a click-to-call stayed up, bridged, for
/// good: its answer answered the Local pair, the Originate's destination ran inside that answer and
/// ended `;1` and `;2` there and then (its Dial refused at the node's channel cap), and the agent's
/// channel was then bridged with the gone `;2`.
final class EngineAnsweredLegTests: XCTestCase {
    typealias H = EngineHarness

    /// The agent answers; `;1`'s Dial to 101 is refused (the tenant's one RTP port pair is the agent's):
    /// CONGESTION, `;1` hangs up, `;2` follows, and the agent gets BYE.
    func testTheAgentIsHungUpWhenTheOriginateDestinationIsRefusedForCapacity() throws {
        let tenant = Tenant(uuid: UUID(), name: "acme", domain: "acme.test")
        let stack = H.stack(tenants: [tenant])
        // The tenant's default share: 1 RTP port pair of the node's 2.
        let capacity = TenantCapacity(directory: stack.directory, defaults: .shares(ofRTPPortPairs: 2))
        let pbx = H(tenant: tenant, stack: stack, capacity: capacity)
        try assertAgentHungUpAfterAnswering(pbx, originatedTo: "101")
        XCTAssertTrue(pbx.transport.take { $0.destination == H.phone101 }.isEmpty, "101 was never dialled")
    }

    /// The same with a destination that ends at once (`Congestion()`).
    func testTheAgentIsHungUpWhenTheOriginateDestinationEndsAtOnce() throws {
        let dialplan = try DialplanParser.parse(
            """
            [internal]
            exten => 100,1,Dial(PJSIP/100,30)
            exten => 200,1,Congestion()
            """)
        let tenant = Tenant(uuid: UUID(), name: "acme", domain: "acme.test")
        let pbx = H(tenant: tenant, stack: H.stack(tenants: [tenant]), dialplans: FixedDialplan(dialplan))
        try assertAgentHungUpAfterAnswering(pbx, originatedTo: "200")
    }

    /// Originates `Local/100@internal` to `exten`, the agent answers, and the call's end follows at
    /// once: Originate answered, the agent's dialog ended with BYE, every channel gone.
    private func assertAgentHungUpAfterAnswering(
        _ pbx: EngineHarness, originatedTo exten: String, file: StaticString = #filePath, line: UInt = #line
    ) throws {
        pbx.originate("Local/100@internal", exten: exten)
        let toAgent = try XCTUnwrap(pbx.expectRequest(.invite, to: H.phone100, file: file, line: line), file: file, line: line)
        pbx.respond(to: toAgent, 180, from: H.phone100)
        pbx.respond(to: toAgent, 200, from: H.phone100)
        XCTAssertNotNil(pbx.expectRequest(.ack, to: H.phone100, file: file, line: line), file: file, line: line)
        XCTAssertEqual(pbx.outcomes.map(\.success), [true], "the Originate was answered", file: file, line: line)
        let bye = try XCTUnwrap(pbx.expectRequest(.bye, to: H.phone100, file: file, line: line), file: file, line: line)
        XCTAssertEqual(bye.headers.callID, toAgent.headers.callID, file: file, line: line)
        XCTAssertEqual(pbx.engine.channels.count, 0, "left: \(pbx.engine.channels.values.map(\.name))", file: file, line: line)
        XCTAssertFalse(pbx.eventNames().contains("BridgeCreate"), "nothing bridged with a gone channel", file: file, line: line)
        XCTAssertEqual(pbx.eventNames().filter { $0 == "Hangup" }.count, 3, file: file, line: line)
        pbx.respond(to: bye, 200, from: H.phone100)
        pbx.assertIdle(file: file, line: line)
    }
}
