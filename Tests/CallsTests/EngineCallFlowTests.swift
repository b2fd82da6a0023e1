import AMI
import Foundation
import NIOCore
import PBX
import SIP
import SIPServer
import XCTest

@testable import Calls

/// The call engine driven in-process as action sequences (`EngineHarness`): Originate, the INVITEs
/// it sends and the phones' and trunk's answers, bridges, hangups from either side, failures,
/// CANCEL races, Redirect and BlindTransfer. Every test ends with nothing left behind.
final class EngineCallFlowTests: XCTestCase {
    typealias H = EngineHarness

    /// Originate `Local/100@internal` to 101: the agent's phone rings and answers, then 101 rings
    /// and answers; both are bridged. Returns the two INVITEs (to 100, to 101).
    func connectAgentTo101(_ pbx: EngineHarness, file: StaticString = #filePath, line: UInt = #line) -> (SIPRequest, SIPRequest)? {
        pbx.originate("Local/100@internal", exten: "101")
        guard let toAgent = pbx.expectRequest(.invite, to: H.phone100, file: file, line: line) else { return nil }
        XCTAssertEqual(toAgent.uri.description, "sip:100@192.0.2.10:5060", file: file, line: line)
        XCTAssertEqual(SIPNameAddress(toAgent.headers[.from] ?? "")?.uri.user, "100", "the agent sees the Originate CallerID", file: file, line: line)
        XCTAssertEqual(toAgent.headers[.contentType], "application/sdp", file: file, line: line)
        pbx.respond(to: toAgent, 180, from: H.phone100)
        XCTAssertEqual(pbx.channel("PJSIP/100")?.snapshot.state, .ringing, file: file, line: line)
        let timeout = pbx.engine.channels.values.first { $0.name.hasSuffix(";1") }?.originate?.timeout
        XCTAssertEqual(timeout?.isPending, true, "the Originate's timeout runs while the agent rings", file: file, line: line)
        pbx.respond(to: toAgent, 200, from: H.phone100)
        XCTAssertEqual(timeout?.isPending, false, "answered: the Originate's timeout is cancelled", file: file, line: line)
        let ack = pbx.expectRequest(.ack, to: H.phone100, file: file, line: line)
        XCTAssertEqual(ack?.uri.description, "sip:far@192.0.2.10:5060", "ACK goes to the answer's Contact", file: file, line: line)
        XCTAssertEqual(pbx.outcomes.map(\.success), [true], file: file, line: line)
        XCTAssertEqual(pbx.outcomes.first?.reason, 4, file: file, line: line)
        guard let to101 = pbx.expectRequest(.invite, to: H.phone101, file: file, line: line) else { return nil }
        XCTAssertEqual(to101.uri.description, "sip:101@192.0.2.11:5060", file: file, line: line)
        pbx.respond(to: to101, 180, from: H.phone101)
        pbx.respond(to: to101, 200, from: H.phone101)
        XCTAssertNotNil(pbx.expectRequest(.ack, to: H.phone101, file: file, line: line))
        XCTAssertEqual(pbx.eventNames().filter { $0 == "BridgeEnter" }.count, 4, ";2 with 100, ;1 with 101", file: file, line: line)
        XCTAssertEqual(pbx.engine.channels.count, 4, file: file, line: line)
        return (toAgent, to101)
    }

    func testOriginateBridgesAndTheCalledPartyHangsUp() throws {
        let pbx = EngineHarness()
        let (toAgent, to101) = try XCTUnwrap(connectAgentTo101(pbx))
        // Media: each phone's port relays to the other leg's port.
        let ports = pbx.media.ports
        XCTAssertEqual(ports.count, 2)
        XCTAssertTrue(ports[0].bridged === ports[1], "the two phones' media relayed to each other")
        XCTAssertEqual(ports.compactMap(\.remote?.host).sorted(), ["192.0.2.10", "192.0.2.11"])

        pbx.farEndBye(dialogOf: to101, from: H.phone101)
        XCTAssertEqual(pbx.responses(to: H.phone101).map(\.statusCode), [200])
        // 101 gone: ;1's Dial returns and it hangs up, ;2 follows, the agent gets BYE.
        let bye = try XCTUnwrap(pbx.expectRequest(.bye, to: H.phone100))
        XCTAssertEqual(bye.headers.callID, toAgent.headers.callID)
        XCTAssertEqual(bye.uri.description, "sip:far@192.0.2.10:5060")
        XCTAssertEqual(bye.headers.to?.tag, "far-tag")
        pbx.respond(to: bye, 200, from: H.phone100)
        XCTAssertEqual(pbx.eventNames().filter { $0 == "Hangup" }.count, 4)
        XCTAssertEqual(pbx.eventNames().filter { $0 == "BridgeDestroy" }.count, 2)
        pbx.assertIdle()
    }

    /// Device state comes from per-device counts kept as channels come, change state and go (no scan
    /// of the node's channels): RINGING while the phone rings, INUSE once answered, back to NOT_INUSE.
    func testDeviceStateFollowsTheChannelsOfTheDevice() throws {
        let pbx = EngineHarness()
        let tenant = pbx.tenant.uuid
        XCTAssertEqual(pbx.action { $0.deviceState(tenant: tenant, number: "100") }, "NOT_INUSE")
        pbx.originate("Local/100@internal", exten: "101")
        let toAgent = try XCTUnwrap(pbx.expectRequest(.invite, to: H.phone100))
        pbx.respond(to: toAgent, 180, from: H.phone100)
        XCTAssertEqual(pbx.action { $0.deviceState(tenant: tenant, number: "100") }, "RINGING")
        pbx.respond(to: toAgent, 200, from: H.phone100)
        XCTAssertNotNil(pbx.expectRequest(.ack, to: H.phone100))
        XCTAssertEqual(pbx.action { $0.deviceState(tenant: tenant, number: "100") }, "INUSE")
        let to101 = try XCTUnwrap(pbx.expectRequest(.invite, to: H.phone101))
        pbx.respond(to: to101, 180, from: H.phone101)
        XCTAssertEqual(pbx.action { $0.deviceState(tenant: tenant, number: "101") }, "RINGING")
        pbx.respond(to: to101, 200, from: H.phone101)
        XCTAssertNotNil(pbx.expectRequest(.ack, to: H.phone101))
        XCTAssertEqual(pbx.action { $0.deviceState(tenant: tenant, number: "101") }, "INUSE")
        pbx.farEndBye(dialogOf: to101, from: H.phone101)
        let bye = try XCTUnwrap(pbx.expectRequest(.bye, to: H.phone100))
        pbx.respond(to: bye, 200, from: H.phone100)
        _ = pbx.responses(to: H.phone101)
        XCTAssertEqual(pbx.action { $0.deviceState(tenant: tenant, number: "100") }, "NOT_INUSE")
        XCTAssertEqual(pbx.action { $0.deviceState(tenant: tenant, number: "101") }, "NOT_INUSE")
        let changes = pbx.events.events.filter { $0.name == "DeviceStateChange" }.map { $0.fields.map { $0.1 }.joined(separator: " ") }
        XCTAssertEqual(
            changes.filter { $0.hasPrefix("PJSIP/100 ") },
            ["PJSIP/100 NOT_INUSE", "PJSIP/100 RINGING", "PJSIP/100 INUSE", "PJSIP/100 NOT_INUSE"],
            "the first state is announced as the channel comes (still down), then each change once")
        pbx.assertIdle()
    }

    /// A retransmitted 2xx (the far end did not see our ACK in time) gets the ACK already sent, same
    /// branch and all (RFC 3261 §13.2.2.4): a new ACK reads as a new request, and SIPp aborted such
    /// calls without ever sending their BYE (the channels left up under load in docs/performance.md).
    func testRetransmitted2xxGetsTheSameACK() throws {
        let pbx = EngineHarness()
        pbx.originate("Local/100@internal", exten: "101")
        let toAgent = try XCTUnwrap(pbx.expectRequest(.invite, to: H.phone100))
        pbx.respond(to: toAgent, 200, from: H.phone100)
        let first = try XCTUnwrap(pbx.expectRequest(.ack, to: H.phone100))
        pbx.respond(to: toAgent, 200, from: H.phone100)
        pbx.respond(to: toAgent, 200, from: H.phone100)
        let again = pbx.transport.take { $0.message.request?.method == .ack && $0.destination == H.phone100 }.compactMap(\.message.request)
        XCTAssertEqual(again.count, 2, "each retransmission of the 2xx is ACKed")
        for ack in again {
            XCTAssertEqual(ack.headers.topVia?.branch, first.headers.topVia?.branch)
            XCTAssertEqual(ack.headers[.cseq], first.headers[.cseq])
            XCTAssertEqual(ack.uri, first.uri)
        }
        XCTAssertEqual(pbx.outcomes.map(\.success), [true], "the retransmission answers nothing twice")
        let to101 = try XCTUnwrap(pbx.expectRequest(.invite, to: H.phone101))
        pbx.respond(to: to101, 200, from: H.phone101)
        XCTAssertNotNil(pbx.expectRequest(.ack, to: H.phone101))
        pbx.farEndBye(dialogOf: to101, from: H.phone101)
        let bye = try XCTUnwrap(pbx.expectRequest(.bye, to: H.phone100))
        pbx.respond(to: bye, 200, from: H.phone100)
        _ = pbx.responses(to: H.phone101)
        pbx.assertIdle()
    }

    func testOriginateBridgesAndTheAgentHangsUp() throws {
        let pbx = EngineHarness()
        let (toAgent, to101) = try XCTUnwrap(connectAgentTo101(pbx))
        pbx.farEndBye(dialogOf: toAgent, from: H.phone100)
        XCTAssertEqual(pbx.responses(to: H.phone100).map(\.statusCode), [200])
        let bye = try XCTUnwrap(pbx.expectRequest(.bye, to: H.phone101))
        XCTAssertEqual(bye.headers.callID, to101.headers.callID)
        pbx.respond(to: bye, 200, from: H.phone101)
        pbx.assertIdle()
    }

    func testHangupActionEndsBothPhones() throws {
        let pbx = EngineHarness()
        _ = try XCTUnwrap(connectAgentTo101(pbx))
        let name = try XCTUnwrap(pbx.channel("Local/100@internal-")?.name)
        let hungUp = pbx.action { $0.hangup(named: name, tenant: pbx.tenant.uuid, cause: .normalClearing) }
        XCTAssertEqual(hungUp, name)
        let sent = pbx.transport.take()
        let byes = sent.compactMap { $0.message.request?.method == .bye ? $0 : nil }
        XCTAssertEqual(Set(byes.map(\.destination)), [H.phone100, H.phone101], "BYE to both phones")
        for sentBye in byes { pbx.respond(to: try XCTUnwrap(sentBye.message.request), 200, from: sentBye.destination) }
        pbx.assertIdle()
    }

    func testOriginateToAnExternalNumberGoesThroughTheTrunk() throws {
        let pbx = EngineHarness()
        pbx.originate("Local/0555123@internal", exten: "101")
        let toTrunk = try XCTUnwrap(pbx.expectRequest(.invite, to: H.trunkPeer))
        XCTAssertEqual(toTrunk.uri.description, "sip:555123@192.0.2.20:5060", "the route strips the prefix")
        XCTAssertEqual(SIPNameAddress(toTrunk.headers[.to] ?? "")?.uri.user, "555123")
        pbx.respond(to: toTrunk, 183, from: H.trunkPeer)
        pbx.respond(to: toTrunk, 200, from: H.trunkPeer)
        XCTAssertNotNil(pbx.expectRequest(.ack, to: H.trunkPeer))
        XCTAssertEqual(pbx.outcomes.map(\.reason), [4])
        let to101 = try XCTUnwrap(pbx.expectRequest(.invite, to: H.phone101))
        pbx.respond(to: to101, 200, from: H.phone101)
        XCTAssertNotNil(pbx.expectRequest(.ack, to: H.phone101))
        pbx.farEndBye(dialogOf: toTrunk, from: H.trunkPeer)
        let bye = try XCTUnwrap(pbx.expectRequest(.bye, to: H.phone101))
        pbx.respond(to: bye, 200, from: H.phone101)
        pbx.assertIdle()
    }

    func testBusyAgentFailsTheOriginate() throws {
        let pbx = EngineHarness()
        pbx.originate("Local/100@internal", exten: "101")
        let toAgent = try XCTUnwrap(pbx.expectRequest(.invite, to: H.phone100))
        pbx.respond(to: toAgent, 180, from: H.phone100)
        let timeout = try XCTUnwrap(pbx.engine.channels.values.first { $0.name.hasSuffix(";1") }?.originate?.timeout)
        pbx.respond(to: toAgent, 486, from: H.phone100)
        XCTAssertFalse(timeout.isPending, "failed: the Originate's timeout is cancelled")
        // The INVITE transaction ACKs the failure itself (same branch, RFC 3261 §17.1.1.3).
        let ack = try XCTUnwrap(pbx.expectRequest(.ack, to: H.phone100))
        XCTAssertEqual(ack.headers.topVia?.branch, toAgent.headers.topVia?.branch)
        XCTAssertEqual(pbx.outcomes.map(\.success), [false])
        XCTAssertEqual(pbx.outcomes.first?.reason, 0, "behind a Local channel busy is not told apart")
        XCTAssertNil(pbx.channel("PJSIP/101"), "101 is never called")
        let dialEnd = pbx.events.events.first { $0.name == "DialEnd" && $0.fields.contains { $0 == ("DestChannel", "") } == false }
        XCTAssertEqual(dialEnd?.fields.first { $0.0 == "DialStatus" }?.1, "BUSY")
        pbx.assertIdle()
    }

    func testUnansweredOriginateIsCancelled() throws {
        let pbx = EngineHarness()
        pbx.originate("Local/100@internal", exten: "101", timeout: 5000)
        let toAgent = try XCTUnwrap(pbx.expectRequest(.invite, to: H.phone100))
        pbx.respond(to: toAgent, 180, from: H.phone100)
        pbx.advance(.milliseconds(4900))
        XCTAssertTrue(pbx.outcomes.isEmpty, "still ringing before the Originate's timeout")
        XCTAssertTrue(pbx.transport.take().isEmpty)
        pbx.advance(.milliseconds(100))
        let cancel = try XCTUnwrap(pbx.expectRequest(.cancel, to: H.phone100))
        XCTAssertEqual(cancel.uri, toAgent.uri)
        XCTAssertEqual(cancel.headers.topVia?.branch, toAgent.headers.topVia?.branch, "CANCEL matches the INVITE's branch")
        XCTAssertEqual(cancel.headers.cseq?.number, toAgent.headers.cseq?.number)
        XCTAssertEqual(pbx.outcomes.map(\.reason), [3], "no answer")
        pbx.respond(to: cancel, 200, from: H.phone100)
        pbx.respond(to: toAgent, 487, from: H.phone100)
        XCTAssertNotNil(pbx.expectRequest(.ack, to: H.phone100))
        pbx.assertIdle()
    }

    func testCancelBeforeAnyProvisionalWaitsForOne() throws {
        let pbx = EngineHarness()
        pbx.originate("Local/100@internal", exten: "101", timeout: 1000)
        let toAgent = try XCTUnwrap(pbx.expectRequest(.invite, to: H.phone100))
        pbx.advance(.milliseconds(1000))
        // RFC 3261 §9.1: no CANCEL before a provisional response.
        XCTAssertFalse(pbx.transport.take().contains { $0.message.request?.method == .cancel })
        XCTAssertEqual(pbx.outcomes.map(\.reason), [3])
        pbx.respond(to: toAgent, 180, from: H.phone100)
        let cancel = try XCTUnwrap(pbx.expectRequest(.cancel, to: H.phone100))
        pbx.respond(to: cancel, 200, from: H.phone100)
        pbx.respond(to: toAgent, 487, from: H.phone100)
        pbx.assertIdle()
    }

    func testAnswerCrossingOurCancelIsAckedAndEnded() throws {
        let pbx = EngineHarness()
        pbx.originate("Local/100@internal", exten: "101", timeout: 2000)
        let toAgent = try XCTUnwrap(pbx.expectRequest(.invite, to: H.phone100))
        pbx.respond(to: toAgent, 180, from: H.phone100)
        pbx.advance(.seconds(2))
        let cancel = try XCTUnwrap(pbx.expectRequest(.cancel, to: H.phone100))
        // The phone answered before it saw the CANCEL: its 200 crosses ours.
        pbx.respond(to: toAgent, 200, from: H.phone100)
        pbx.respond(to: cancel, 481, from: H.phone100)
        let sent = pbx.transport.take().compactMap { $0.destination == H.phone100 ? $0.message.request : nil }
        XCTAssertEqual(sent.map(\.method), [.ack, .bye], "the 2xx is ACKed, then the dialog ended")
        let bye = try XCTUnwrap(sent.last)
        XCTAssertEqual(bye.headers.callID, toAgent.headers.callID)
        XCTAssertEqual(bye.headers.to?.tag, "far-tag")
        pbx.respond(to: bye, 200, from: H.phone100)
        XCTAssertEqual(pbx.outcomes.map(\.success), [false], "the Originate had already given up")
        XCTAssertNil(pbx.channel("PJSIP/101"))
        pbx.assertIdle()
    }

    func testCancelledLegWithNoFinalResponseIsAbandoned() throws {
        let pbx = EngineHarness()
        pbx.originate("Local/100@internal", exten: "101", timeout: 1000)
        let toAgent = try XCTUnwrap(pbx.expectRequest(.invite, to: H.phone100))
        pbx.respond(to: toAgent, 180, from: H.phone100)
        pbx.advance(.seconds(1))
        let cancel = try XCTUnwrap(pbx.expectRequest(.cancel, to: H.phone100))
        pbx.respond(to: cancel, 200, from: H.phone100)
        // The phone never sends its 487: 64·T1 later the INVITE transaction is given up.
        pbx.assertIdle()
    }

    func testRedirectSendsTheCalledPartyToTheTrunk() throws {
        let pbx = EngineHarness()
        let (toAgent, _) = try XCTUnwrap(connectAgentTo101(pbx))
        let called = try XCTUnwrap(pbx.channel("PJSIP/101"))
        let result = pbx.action { $0.redirect(called, context: "internal", exten: "0777", priority: 1) }
        XCTAssertTrue(result)
        // 101 leaves the bridge and dials out; ;1's Dial returns and the agent's side hangs up.
        let sent = pbx.transport.take()
        let toTrunk = try XCTUnwrap(sent.first { $0.destination == H.trunkPeer }?.message.request)
        XCTAssertEqual(toTrunk.method, .invite)
        XCTAssertEqual(toTrunk.uri.description, "sip:777@192.0.2.20:5060")
        let agentBye = try XCTUnwrap(sent.first { $0.destination == H.phone100 }?.message.request)
        XCTAssertEqual(agentBye.method, .bye)
        XCTAssertEqual(agentBye.headers.callID, toAgent.headers.callID)
        pbx.respond(to: agentBye, 200, from: H.phone100)
        pbx.respond(to: toTrunk, 200, from: H.trunkPeer)
        XCTAssertNotNil(pbx.expectRequest(.ack, to: H.trunkPeer))
        XCTAssertEqual(pbx.engine.channels.count, 2, "101 and the trunk, bridged")
        XCTAssertNotNil(pbx.channel("PJSIP/101")?.bridge)
        pbx.farEndBye(dialogOf: toTrunk, from: H.trunkPeer)
        let bye = try XCTUnwrap(pbx.expectRequest(.bye, to: H.phone101))
        pbx.respond(to: bye, 200, from: H.phone101)
        pbx.assertIdle()
    }

    func testRedirectToAMissingExtensionChangesNothing() throws {
        let pbx = EngineHarness()
        _ = try XCTUnwrap(connectAgentTo101(pbx))
        let called = try XCTUnwrap(pbx.channel("PJSIP/101"))
        XCTAssertFalse(pbx.action { $0.redirect(called, context: "internal", exten: "999", priority: 1) })
        XCTAssertTrue(pbx.transport.take().isEmpty)
        XCTAssertNotNil(called.bridge)
        let name = called.name
        _ = pbx.action { $0.hangup(named: name, tenant: pbx.tenant.uuid, cause: .normalClearing) }
        for sent in pbx.transport.take() where sent.message.request?.method == .bye {
            pbx.respond(to: try XCTUnwrap(sent.message.request), 200, from: sent.destination)
        }
        pbx.assertIdle()
    }

    func testBlindTransferHandsTheAgentToTheTrunk() throws {
        let pbx = EngineHarness()
        let (_, to101) = try XCTUnwrap(connectAgentTo101(pbx))
        let transferer = try XCTUnwrap(pbx.channel("PJSIP/101"))
        XCTAssertTrue(pbx.action { $0.blindTransfer(transferer, exten: "0888", context: nil) })
        let event = try XCTUnwrap(pbx.events.events.first { $0.name == "BlindTransfer" })
        XCTAssertTrue(event.fields.contains { $0 == ("Extension", "0888") })
        let sent = pbx.transport.take()
        // The transferer is hung up; its bridge peer (;1) dials the new target.
        let bye = try XCTUnwrap(sent.first { $0.destination == H.phone101 }?.message.request)
        XCTAssertEqual(bye.method, .bye)
        XCTAssertEqual(bye.headers.callID, to101.headers.callID)
        let toTrunk = try XCTUnwrap(sent.first { $0.destination == H.trunkPeer }?.message.request)
        XCTAssertEqual(toTrunk.uri.description, "sip:888@192.0.2.20:5060")
        XCTAssertFalse(sent.contains { $0.destination == H.phone100 }, "the agent stays in the call")
        pbx.respond(to: bye, 200, from: H.phone101)
        pbx.respond(to: toTrunk, 200, from: H.trunkPeer)
        XCTAssertNotNil(pbx.expectRequest(.ack, to: H.trunkPeer))
        // Now the agent hangs up through AMI: BYE to the agent and to the trunk.
        let agent = try XCTUnwrap(pbx.channel("PJSIP/100")?.name)
        _ = pbx.action { $0.hangup(named: agent, tenant: pbx.tenant.uuid, cause: .normalClearing) }
        let byes = pbx.transport.take().filter { $0.message.request?.method == .bye }
        XCTAssertEqual(Set(byes.map(\.destination)), [H.phone100, H.trunkPeer])
        for sentBye in byes { pbx.respond(to: try XCTUnwrap(sentBye.message.request), 200, from: sentBye.destination) }
        pbx.assertIdle()
    }
}
