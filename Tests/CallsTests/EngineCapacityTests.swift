import Foundation
import NIOCore
import PBX
import XCTest

@testable import Calls

/// Capacity accounting across a call's set-up, on the in-process engine.
final class EngineCapacityTests: XCTestCase {
    typealias H = EngineHarness

    /// An admitted Originate keeps its reservation while its call sets up: here the Local target's
    /// dialplan waits a second before it dials, so the media leg is not open yet. Before, the
    /// reservation ended when the engine took the Originate, and the next Originate was admitted
    /// into the same RTP port pair.
    func testAnOriginateKeepsItsReservationUntilItsCallOpensItsMediaLeg() throws {
        let tenant = Tenant(uuid: UUID(), name: "acme", domain: "acme.test")
        let stack = H.stack(tenants: [tenant])
        // The tenant's default share: 1 RTP port pair of the node's 2.
        let capacity = TenantCapacity(directory: stack.directory, defaults: .shares(ofRTPPortPairs: 2))
        let dialplan = try DialplanParser.parse(
            """
            [internal]
            exten => _X.,1,Wait(1)
            exten => _X.,2,Dial(PJSIP/${EXTEN},30)
            """)
        let pbx = H(tenant: tenant, stack: stack, capacity: capacity, dialplans: FixedDialplan(dialplan))

        pbx.originate("Local/100@internal", exten: "101")
        XCTAssertTrue(pbx.transport.take().isEmpty, "nothing sent while the Local target waits")
        XCTAssertEqual(capacity.snapshot(tenant: tenant.uuid).rtpPortPairs, 0, "no media leg open yet")
        XCTAssertTrue(capacity.reserved(tenant: tenant.uuid) == (1, 1), "\(capacity.reserved(tenant: tenant.uuid))")
        let second = pbx.admit(H.originateRequest("Local/101@internal", exten: "100"))
        XCTAssertEqual(second?.resource, .rtpPortPairs, "the first call's reservation holds the tenant's one pair")

        // The target dials: the channel and its media leg take their places from the reservation.
        pbx.advance(.seconds(1))
        let toAgent = try XCTUnwrap(pbx.expectRequest(.invite, to: H.phone100))
        XCTAssertEqual(capacity.snapshot(tenant: tenant.uuid).rtpPortPairs, 1)
        XCTAssertTrue(capacity.reserved(tenant: tenant.uuid) == (0, 0), "\(capacity.reserved(tenant: tenant.uuid))")
        XCTAssertEqual(pbx.admit(H.originateRequest("Local/101@internal", exten: "100"))?.resource, .rtpPortPairs)

        // The agent is busy: everything goes back.
        pbx.respond(to: toAgent, 486, from: H.phone100)
        XCTAssertEqual(pbx.outcomes.map(\.success), [false])
        XCTAssertNil(capacity.refusal(tenant: tenant.uuid, channels: 3, mediaLegs: 1))
        pbx.assertIdle()
    }

    /// A click-to-call that rings has taken everything it reserved (the Local pair, the agent's channel
    /// and its media leg); when the agent is busy nothing is left reserved or counted.
    func testARingingOriginateHasTakenAllItReserved() throws {
        let pbx = H()
        pbx.originate("Local/100@internal", exten: "101")
        let toAgent = try XCTUnwrap(pbx.expectRequest(.invite, to: H.phone100))
        XCTAssertTrue(pbx.engine.capacity.reserved(tenant: pbx.tenant.uuid) == (0, 0), "the ringing call opened what it reserved")
        pbx.respond(to: toAgent, 486, from: H.phone100)
        XCTAssertEqual(pbx.outcomes.map(\.success), [false])
        pbx.assertIdle()
    }
}

/// One dialplan for every tenant, parsed from text.
final class FixedDialplan: CallDialplanProvider {
    let dialplan: Dialplan
    init(_ dialplan: Dialplan) { self.dialplan = dialplan }
    func dialplan(for tenant: UUID) -> Dialplan? { dialplan }
}
