import AMI
import Foundation
import PBX
import SIP
import XCTest

@testable import Calls

/// The tenant's calls as the REST API and the dashboard see them: one summary per linkedid with its
/// parties and state, hung up as a whole, never another tenant's; the Originate reports its linkedid.
final class EngineInventoryTests: XCTestCase {
    typealias H = EngineHarness

    /// A click-to-call-like Originate: the agent 100 first, then 101, with `C2C_SRC`/`C2C_DST`.
    static func request() throws -> OriginateRequest {
        let message = AMIMessage(headers: [
            .init(name: "Action", value: "Originate"), .init(name: "Channel", value: "Local/100@internal"),
            .init(name: "Context", value: "internal"), .init(name: "Exten", value: "101"), .init(name: "Priority", value: "1"),
            .init(name: "CallerId", value: "\"c2c: 101\" <101>"), .init(name: "Async", value: "true"),
            .init(name: "Variable", value: "C2C_SRC=100"), .init(name: "Variable", value: "C2C_DST=101"),
        ])
        return try OriginateRequest.parse(message, writePermissions: [.call, .originate])
    }

    func testCallIsListedByItsLinkedidUntilHungUpAsAWhole() throws {
        let pbx = EngineHarness()
        let tenant = pbx.tenant.uuid
        let request = try Self.request()
        XCTAssertNil(pbx.admit(request))
        let id = try XCTUnwrap(pbx.engine.originate(request, tenant: tenant) { _ in })
        pbx.loop.run()
        XCTAssertEqual(
            pbx.engine.channels.values.first { $0.name.hasSuffix(";1") }?.snapshot.uniqueID, id, "the call's id is the ;1 channel's uniqueid")

        let toAgent = try XCTUnwrap(pbx.expectRequest(.invite, to: H.phone100))
        pbx.respond(to: toAgent, 180, from: H.phone100)
        var calls = pbx.action { $0.callSummaries(tenant: tenant) }
        XCTAssertEqual(calls.map(\.id), [id])
        XCTAssertEqual(calls.first?.from, "100")
        XCTAssertEqual(calls.first?.to, "101")
        XCTAssertEqual(calls.first?.state, "ringing")
        XCTAssertEqual(calls.first?.channels.count, 3)
        XCTAssertEqual(calls.first?.channels.first?.name.hasSuffix(";1"), true, "the originated channel first")

        pbx.respond(to: toAgent, 200, from: H.phone100)
        XCTAssertNotNil(pbx.expectRequest(.ack, to: H.phone100))
        let to101 = try XCTUnwrap(pbx.expectRequest(.invite, to: H.phone101))
        pbx.respond(to: to101, 180, from: H.phone101)
        XCTAssertEqual(pbx.action { $0.callSummaries(tenant: tenant) }.first?.state, "ringing", "101 still rings")
        pbx.respond(to: to101, 200, from: H.phone101)
        XCTAssertNotNil(pbx.expectRequest(.ack, to: H.phone101))
        calls = pbx.action { $0.callSummaries(tenant: tenant) }
        XCTAssertEqual(calls.first?.state, "up")
        XCTAssertEqual(calls.first?.channels.map(\.state), ["Up", "Up", "Up", "Up"])

        // Another tenant neither sees nor ends it.
        let stranger = UUID()
        XCTAssertTrue(pbx.action { $0.callSummaries(tenant: stranger) }.isEmpty)
        XCTAssertEqual(pbx.action { $0.hangUpCall(id: id, tenant: stranger, cause: .normalClearing) }, [])
        XCTAssertEqual(pbx.engine.channels.count, 4)
        XCTAssertTrue(pbx.transport.take { $0.message.request?.method == .bye }.isEmpty)

        let names = pbx.action { $0.hangUpCall(id: id, tenant: tenant, cause: .normalClearing) }
        XCTAssertEqual(names.count, 4)
        let byes = pbx.transport.take { $0.message.request?.method == .bye }
        XCTAssertEqual(Set(byes.map(\.destination)), [H.phone100, H.phone101], "BYE to both phones")
        for bye in byes { pbx.respond(to: try XCTUnwrap(bye.message.request), 200, from: bye.destination) }
        XCTAssertTrue(pbx.action { $0.callSummaries(tenant: tenant) }.isEmpty)
        XCTAssertEqual(pbx.action { $0.hangUpCall(id: id, tenant: tenant, cause: .normalClearing) }, [])
        pbx.assertIdle()
    }

    func testOriginateThatFailsAtOnceHasNoLinkedid() throws {
        let pbx = EngineHarness()
        let message = AMIMessage([
            "Action": "Originate", "Channel": "Local/100@nowhere", "Context": "internal", "Exten": "101", "Priority": "1", "Async": "true",
        ])
        let request = try OriginateRequest.parse(message, writePermissions: [.call, .originate])
        XCTAssertNil(pbx.admit(request))
        var outcomes: [OriginateOutcome] = []
        XCTAssertNil(pbx.engine.originate(request, tenant: pbx.tenant.uuid) { outcomes.append($0) })
        XCTAssertEqual(outcomes.map(\.success), [false], "the failure is reported before the call would have an id")
        pbx.assertIdle()
    }
}
