import Foundation
import NIOCore
import PBX
import SIP
import SIPServer
import XCTest

@testable import Calls

/// The call engine split in two shards (`CallShardMap`), each an `EngineHarness` on its own loop
/// with its own recording transport, over one SIP core: what the far ends send reaches the engines
/// through `SIPCallRouter` as it does in `serve`, and AMI actions through `CallControl`. Which
/// transport a message leaves by tells which shard sent it.
final class EngineShardTests: XCTestCase {
    typealias H = EngineHarness

    /// Two tenants, tenant `i` on shard `i`.
    final class TwoShards {
        let map = CallShardMap(count: 2)
        let tenants: [Tenant]
        let shards: [EngineHarness]
        let router: SIPCallRouter
        let control: CallControl

        init() {
            var found: [Int: Tenant] = [:]
            while found.count < 2 {
                let uuid = UUID()
                let index = map.shard(of: uuid)
                if found[index] == nil { found[index] = Tenant(uuid: uuid, name: "t\(index)", domain: "t\(index).test") }
            }
            let tenants = [found[0]!, found[1]!]
            let stack = EngineHarness.stack(tenants: tenants)
            let capacity = TenantCapacity(directory: stack.directory, defaults: .shares(ofRTPPortPairs: 100))
            let shards = (0..<2).map { EngineHarness(tenant: tenants[$0], stack: stack, shard: $0, shards: 2, capacity: capacity) }
            self.tenants = tenants
            self.shards = shards
            router = SIPCallRouter(
                map: map,
                shards: shards.map {
                    SIPCallDialogs(
                        loop: $0.loop, driver: NIOLoopBound($0.driver, eventLoop: $0.loop),
                        shutdown: NIOLoopBound(CallShutdown(), eventLoop: $0.loop))
                },
                directory: stack.directory)
            control = CallControl(
                engines: shards.map { NIOLoopBound($0.engine, eventLoop: $0.loop) }, dialplans: shards[0].engine.dialplans,
                capacity: capacity)
            let router = self.router
            for shard in shards {
                shard.deliver = { message, source in
                    switch message {
                    case .request(let request): router.receiveRequest(request, from: source)
                    case .response(let response): router.receiveResponse(response)
                    }
                    for shard in shards { shard.loop.run() }
                }
            }
        }

        func runAll() {
            for shard in shards { shard.loop.run() }
        }
    }

    /// Results handed over by completions that run on an engine's loop (here the test's thread).
    final class Box<T>: @unchecked Sendable {
        var value: T?
    }

    func testEachShardsMediaRelaysOnTheNextLoop() {
        XCTAssertTrue(CallService.loops(ofShard: 0, among: 1) == (0, 0), "one loop: calls and media share it")
        XCTAssertTrue(CallService.loops(ofShard: 0, among: 2) == (0, 1))
        XCTAssertTrue(CallService.loops(ofShard: 1, among: 2) == (1, 0))
        XCTAssertTrue(CallService.loops(ofShard: 3, among: 2) == (1, 0), "more shards than loops wrap around")
        let media = (0..<4).map { CallService.loops(ofShard: $0, among: 4).media }
        XCTAssertEqual(Set(media).count, 4, "every loop hosts one shard's media: \(media)")
        XCTAssertTrue((0..<4).allSatisfy { CallService.loops(ofShard: $0, among: 4).engine != media[$0] })
    }

    func testShardMapIsStableAndReadsItsOwnMarkers() {
        let map = CallShardMap(count: 3)
        let tenant = UUID()
        XCTAssertEqual(map.shard(of: tenant), map.shard(of: tenant))
        XCTAssertTrue((0..<3).contains(map.shard(of: tenant)))
        let counts = (0..<300).reduce(into: [0, 0, 0]) { counts, _ in counts[map.shard(of: UUID())] += 1 }
        XCTAssertTrue(counts.allSatisfy { $0 > 50 }, "random tenants spread over the shards: \(counts)")
        XCTAssertEqual(map.shard(inToken: Substring(CallShardMap.token(2))), 2)
        XCTAssertEqual(map.shard(inToken: "abc123-s1@centralino"), 1)
        XCTAssertNil(map.shard(inToken: "abc123-s3"), "no such shard")
        XCTAssertNil(map.shard(inToken: "abc123"), "a peer's token")
        XCTAssertNil(map.shard(inToken: "abc-sx"))
        XCTAssertEqual(CallShardMap(count: 1).shard(of: tenant), 0)
        XCTAssertEqual(CallShardMap(count: 0).count, 1)
    }

    func testTwoTenantsCallsRunOnTheirOwnShards() throws {
        let node = TwoShards()
        for tenant in node.tenants {
            node.control.originate(H.originateRequest("Local/100@internal", exten: "101"), tenant: tenant.uuid) { _ in }
        }
        node.runAll()
        for (index, shard) in node.shards.enumerated() {
            XCTAssertEqual(shard.engine.channels.count, 3, "shard \(index): the Local pair and the agent's channel")
            XCTAssertTrue(shard.engine.channels.values.allSatisfy { $0.tenant == node.tenants[index].uuid }, "shard \(index) holds its tenant only")
            let invite = try XCTUnwrap(shard.expectRequest(.invite, to: H.phone100))
            XCTAssertTrue(invite.headers.topVia?.branch?.hasSuffix("-s\(index)") == true, "branch marks shard \(index)")
            XCTAssertTrue(invite.headers.from?.tag?.hasSuffix("-s\(index)") == true, "our tag marks shard \(index)")
            XCTAssertTrue(invite.headers.callID?.hasSuffix("-s\(index)@centralino") == true, "Call-ID marks shard \(index)")
        }
        let ids = node.shards.flatMap { $0.engine.channels.keys }
        XCTAssertEqual(Set(ids).count, 6, "uniqueids never repeat across shards: \(ids)")
        let names = node.shards.flatMap { $0.engine.channels.values.map(\.name) }
        XCTAssertEqual(Set(names).count, 6, "channel names never repeat across shards: \(names)")
        XCTAssertEqual(node.control.capacity.nodeChannels, 6, "the node's channel cap counts every shard")
    }

    /// Shard 1's call, answered, then a re-INVITE and a BYE from the phones: the router finds the
    /// shard from our tag in To; shard 0 never sees any of it.
    func testInDialogRequestsAndResponsesFindTheirShard() throws {
        let node = TwoShards()
        let pbx = node.shards[1]
        pbx.originate("Local/100@internal", exten: "101")
        let toAgent = try XCTUnwrap(pbx.expectRequest(.invite, to: H.phone100))
        pbx.respond(to: toAgent, 180, from: H.phone100)
        XCTAssertEqual(pbx.channel("PJSIP/100")?.snapshot.state, .ringing, "the 180 reached shard 1 by its Via branch")
        pbx.respond(to: toAgent, 200, from: H.phone100)
        XCTAssertNotNil(pbx.expectRequest(.ack, to: H.phone100))
        let to101 = try XCTUnwrap(pbx.expectRequest(.invite, to: H.phone101))
        pbx.respond(to: to101, 200, from: H.phone101)
        XCTAssertNotNil(pbx.expectRequest(.ack, to: H.phone101))
        XCTAssertEqual(pbx.engine.channels.count, 4)

        pbx.farEndRequest(.invite, cseq: 2, dialogOf: toAgent, from: H.phone100)
        XCTAssertEqual(pbx.responses(to: H.phone100).map(\.statusCode).filter { $0 >= 200 }, [200], "re-INVITE answered by shard 1")
        pbx.farEndBye(dialogOf: to101, from: H.phone101)
        XCTAssertEqual(pbx.responses(to: H.phone101).map(\.statusCode), [200], "BYE answered by shard 1")
        let bye = try XCTUnwrap(pbx.expectRequest(.bye, to: H.phone100))
        pbx.respond(to: bye, 200, from: H.phone100)
        pbx.assertIdle()
        XCTAssertTrue(node.shards[0].transport.take().isEmpty, "shard 0 sent nothing")
        XCTAssertTrue(node.shards[0].events.events.isEmpty, "shard 0 raised nothing")
    }

    /// A phone of shard 1's tenant calls 101: the INVITE (no To tag) reaches shard 1 by the tenant
    /// of its domain, and so do the ACK of the 401, the CANCEL and the ACK of the 487.
    func testInboundInviteAndItsCancelFindTheirTenantsShard() throws {
        let node = TwoShards()
        let pbx = node.shards[1]
        let domain = node.tenants[1].domain
        var invite = inboundInvite(domain: domain, branch: "z9hG4bK-in-1", cseq: 1)
        pbx.receive(.request(invite), from: H.phone100)
        let challenge = try XCTUnwrap(pbx.responses(to: H.phone100).first { $0.statusCode == 401 }, "shard 1 challenges")
        pbx.receive(.request(ackOf(invite, response: challenge)), from: H.phone100)

        let header = try XCTUnwrap(challenge.headers.all(.wwwAuthenticate).compactMap(DigestChallenge.init).first)
        let answer = Digest.credentials(
            answering: header, username: "100",
            ha1: Digest.ha1(username: "100", realm: domain, password: H.password, algorithm: header.algorithm),
            method: .invite, uri: invite.uri.description, cnonce: "c1")
        invite = inboundInvite(domain: domain, branch: "z9hG4bK-in-2", cseq: 2)
        invite.headers.add(.authorization, answer.description)
        pbx.receive(.request(invite), from: H.phone100)
        let inviteTo101 = try XCTUnwrap(pbx.expectRequest(.invite, to: H.phone101), "shard 1 dials 101")
        pbx.respond(to: inviteTo101, 180, from: H.phone101)
        XCTAssertEqual(pbx.engine.channels.count, 2)

        var cancel = invite
        cancel.method = .cancel
        cancel.headers.replaceOrAdd(.cseq, "2 CANCEL")
        cancel.headers.remove(.authorization)
        cancel.body = ByteBuffer()
        pbx.receive(.request(cancel), from: H.phone100)
        let finals = pbx.responses(to: H.phone100).filter { $0.statusCode >= 200 }
        XCTAssertEqual(finals.map(\.statusCode).sorted(), [200, 487], "CANCEL answered, INVITE ended by shard 1")
        let terminated = try XCTUnwrap(finals.first { $0.statusCode == 487 })
        XCTAssertTrue(terminated.headers.to?.tag?.hasSuffix("-s1") == true)
        pbx.receive(.request(ackOf(invite, response: terminated)), from: H.phone100)
        let cancelTo101 = try XCTUnwrap(pbx.expectRequest(.cancel, to: H.phone101))
        pbx.respond(to: cancelTo101, 200, from: H.phone101)
        pbx.respond(to: inviteTo101, 487, from: H.phone101)
        pbx.assertIdle()
        XCTAssertTrue(node.shards[0].transport.take().isEmpty, "shard 0 sent nothing")
    }

    /// AMI actions go to the tenant's shard: a tenant lists and hangs up its own channels only.
    func testAMIActionsRouteByTenant() throws {
        let node = TwoShards()
        for tenant in node.tenants {
            node.control.originate(H.originateRequest("Local/100@internal", exten: "101"), tenant: tenant.uuid) { _ in }
        }
        node.runAll()
        let reports = Box<[ChannelReport]>()
        node.control.channelReports(tenant: node.tenants[1].uuid) { reports.value = $0 }
        node.runAll()
        let shard1Names = Set(node.shards[1].engine.channels.values.map(\.name))
        XCTAssertEqual(Set(try XCTUnwrap(reports.value).map(\.snapshot.name)), shard1Names)

        let agent0 = try XCTUnwrap(node.shards[0].channel("PJSIP/100")?.name)
        let refused = Box<String?>()
        node.control.hangup(channel: agent0, tenant: node.tenants[1].uuid, cause: .normalClearing) { refused.value = $0 }
        node.runAll()
        XCTAssertEqual(refused.value, .some(nil), "tenant 1 cannot hang up tenant 0's channel")
        let hungUp = Box<String?>()
        node.control.hangup(channel: agent0, tenant: node.tenants[0].uuid, cause: .normalClearing) { hungUp.value = $0 }
        node.runAll()
        XCTAssertEqual(hungUp.value, .some(agent0))
        XCTAssertNil(node.shards[0].channel("PJSIP/100"))
        XCTAssertNotNil(node.shards[1].channel("PJSIP/100"), "tenant 1's call untouched")
        let active = Box<(active: Int, processed: Int)>()
        node.control.callCounts(tenant: node.tenants[1].uuid) { active.value = $0 }
        node.runAll()
        XCTAssertEqual(active.value?.active, 1)
    }

    // MARK: - Messages of the phones

    func inboundInvite(domain: String, branch: String, cseq: Int) -> SIPRequest {
        var headers = SIPHeaders()
        headers.add(.via, "SIP/2.0/UDP 192.0.2.10:5060;branch=\(branch)")
        headers.add(.maxForwards, "70")
        headers.add(.from, "<sip:100@\(domain)>;tag=phone-tag")
        headers.add(.to, "<sip:101@\(domain)>")
        headers.add(.callID, "inbound-call@192.0.2.10")
        headers.add(.cseq, "\(cseq) INVITE")
        headers.add(.contact, "<sip:100@192.0.2.10:5060>")
        headers.add(.contentType, "application/sdp")
        return SIPRequest(
            method: .invite, uri: SIPURI(user: "101", host: domain), headers: headers, body: ByteBuffer(string: H.answerSDP(host: "192.0.2.10")))
    }

    /// The ACK of a non-2xx final response: the INVITE's Via and branch, the response's To.
    func ackOf(_ invite: SIPRequest, response: SIPResponse) -> SIPRequest {
        var ack = invite
        ack.method = .ack
        ack.headers.replaceOrAdd(.cseq, "\(invite.headers.cseq?.number ?? 1) ACK")
        ack.headers.replaceOrAdd(.to, response.headers[.to] ?? "")
        ack.headers.remove(.authorization)
        ack.headers.remove(.contentType)
        ack.body = ByteBuffer()
        return ack
    }
}
