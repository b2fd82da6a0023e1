import Cluster
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import XCTest

/// The wire encoding of forwarded actions and their replies (docs/cluster.md), and the bounds of the
/// control channel over real loopback connections.
final class ClusterForwardingCodecTests: XCTestCase {
    private let codec = ClusterControlCodec(secretKeyFile: Data("node secret key".utf8))
    private let tenant = UUID(uuidString: "7d2c0e2a-1111-4222-8333-444455556666")!

    func testAListReplyKeepsItsEventsInOrder() {
        let events: [[ClusterEvent.Field]] = [
            [.init("Event", "CoreShowChannel"), .init("ActionID", "crm-1"), .init("Channel", "PJSIP/100-00000001")],
            [.init("Event", "CoreShowChannelsComplete"), .init("ActionID", "crm-1"), .init("EventList", "Complete"), .init("ListItems", "1")],
        ]
        let fields: [ClusterEvent.Field] = [.init("Response", "Success"), .init("EventList", "start"), .init("Message", "Channels will follow")]
        let line = codec.encodeReply(ClusterReply(fields: fields, events: events), nonce: "n7")
        XCTAssertFalse(line.contains("\n"))
        XCTAssertEqual(codec.decodeReply(line, nonce: "n7"), ClusterReply(fields: fields, events: events))
    }

    func testAReplyAnswersItsOwnRequestOnly() {
        let line = codec.encodeReply(ClusterReply(fields: [.init("Response", "Success")]), nonce: "n7")
        XCTAssertNil(codec.decodeReply(line, nonce: "n8"))
        XCTAssertNil(codec.decodeReply(line.replacingOccurrences(of: "Success", with: "Error__"), nonce: "n7"))
    }

    func testARestRequestIsMarkedAndTheMarkIsSigned() {
        let action = ClusterForwardedAction(tenant: tenant, username: "", headers: [.init("Op", "calls")], api: true)
        let line = codec.encodeRequest(action, now: 1000, nonce: "n1")
        XCTAssertEqual(codec.decodeRequest(line, now: 1000)?.action, action)
        XCTAssertEqual(codec.decodeRequest(line, now: 1000)?.action.api, true)
        // An AMI action cannot be turned into a REST request (or back) without the key.
        // (JSONEncoder's key order varies: the mark may be first, in the middle or last.)
        let unmarked = line.replacingOccurrences(of: ",\"k\":\"api\",", with: ",").replacingOccurrences(of: ",\"k\":\"api\"}", with: "}")
            .replacingOccurrences(of: "{\"k\":\"api\",", with: "{")
        XCTAssertNotEqual(unmarked, line)
        XCTAssertNil(codec.decodeRequest(unmarked, now: 1000))
        let ami = ClusterForwardedAction(tenant: tenant, username: "crm", headers: [.init("Action", "Status")])
        XCTAssertEqual(codec.decodeRequest(codec.encodeRequest(ami, now: 1000, nonce: "n2"), now: 1000)?.action.api, false)
    }
}

/// A control server and client on loopback: a reply comes back, a slow action times out, a large
/// reply becomes an error.
final class ClusterControlChannelTests: XCTestCase {
    private let codec = ClusterControlCodec(secretKeyFile: Data("node secret key".utf8))
    private let action = ClusterForwardedAction(
        tenant: UUID(uuidString: "7d2c0e2a-1111-4222-8333-444455556666")!, username: "crm", headers: [.init("Action", "Status")])

    private func serve(
        limits: ClusterForwardLimits, _ execute: @escaping @Sendable (ClusterForwardedAction, any Channel) async -> ClusterReply
    ) async throws -> (ClusterControlServer, String) {
        let server = ClusterControlServer(codec: codec, limits: limits, logger: Logger(label: "test"), execute: execute)
        let address = try await server.bind(host: "127.0.0.1", port: 0, group: MultiThreadedEventLoopGroup.singleton)
        return (server, address)
    }

    func testTheHomeNodesReplyComesBackWithItsEvents() async throws {
        let (server, address) = try await serve(limits: .standard) { action, _ in
            ClusterReply(
                fields: [.init("Response", "Success"), .init("Message", action.username)],
                events: [[.init("Event", "StatusComplete"), .init("ListItems", "0")]])
        }
        let client = ClusterControlClient(codec: codec, group: MultiThreadedEventLoopGroup.singleton)
        let result = await client.send(action, to: address)
        await server.close()
        XCTAssertEqual(
            result,
            .answered(
                ClusterReply(
                    fields: [.init("Response", "Success"), .init("Message", "crm")],
                    events: [[.init("Event", "StatusComplete"), .init("ListItems", "0")]])))
    }

    func testASlowActionTimesOut() async throws {
        let limits = ClusterForwardLimits(timeout: .milliseconds(300), replyBytes: 65_536)
        let (server, address) = try await serve(limits: limits) { _, _ in
            try? await Task.sleep(for: .seconds(2))
            return ClusterReply(fields: [.init("Response", "Success")])
        }
        let client = ClusterControlClient(codec: codec, limits: limits, group: MultiThreadedEventLoopGroup.singleton)
        let started = ContinuousClock.now
        let result = await client.send(action, to: address)
        await server.close()
        XCTAssertEqual(result, .timedOut)
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(1.5))
    }

    func testAReplyOverTheLimitBecomesAnError() async throws {
        let limits = ClusterForwardLimits(timeout: .seconds(5), replyBytes: 65_536)
        let (server, address) = try await serve(limits: limits) { _, _ in
            ClusterReply(
                fields: [.init("Response", "Success")],
                events: (0..<2000).map { [.init("Event", "CoreShowChannel"), .init("Channel", "PJSIP/\($0)-0000000000000000000000000")] })
        }
        let client = ClusterControlClient(codec: codec, limits: limits, group: MultiThreadedEventLoopGroup.singleton)
        let result = await client.send(action, to: address)
        await server.close()
        XCTAssertEqual(
            result, .answered(ClusterReply(fields: [.init("Response", "Error"), .init("Message", "Forwarded response too large")])))
    }

    func testAPooledConnectionCarriesTheNextActionsAndADeadOneIsReplaced() async throws {
        let seen = NIOLockedValueBox<[any Channel]>([])
        let (server, address) = try await serve(limits: .standard) { action, connection in
            seen.withLockedValue { $0.append(connection) }
            return ClusterReply(fields: [.init("Response", "Success"), .init("Message", action.username)])
        }
        let pool = ClusterControlPool(limit: 2)
        // The origin's connections on one loop of their own, which the test can hold up.
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let client = ClusterControlClient(codec: codec, group: group, pool: pool)
        let answer = ClusterSendResult.answered(ClusterReply(fields: [.init("Response", "Success"), .init("Message", "crm")]))
        for _ in 0..<3 {
            let result = await client.send(action, to: address)
            XCTAssertEqual(result, answer)
        }
        XCTAssertEqual(pool.idleCount(address), 1)
        let first = seen.withLockedValue { $0 }
        XCTAssertEqual(first.count, 3)
        guard first.count == 3 else { return }
        XCTAssertTrue(first.allSatisfy { $0 === first[0] }, "three actions, one connection")

        // The home node closes the pooled connection while the origin's loop is busy, so the origin
        // still holds it for live and sends the next action on it: that action is answered all the
        // same, on a new connection (the same signed line again), and runs once.
        let busy = group.next().submit { Thread.sleep(forTimeInterval: 0.3) }
        try await first[0].close()
        let afterClose = await client.send(action, to: address)
        XCTAssertEqual(afterClose, answer)
        let second = seen.withLockedValue { $0 }
        XCTAssertEqual(second.count, 4, "the action ran once")
        guard second.count == 4 else { return }
        XCTAssertFalse(second[3] === first[0])

        // Closed while idle and noticed: replaced too.
        try await second[3].close()
        try await Task.sleep(for: .milliseconds(200))
        let afterIdleClose = await client.send(action, to: address)
        XCTAssertEqual(afterIdleClose, answer)
        let third = seen.withLockedValue { $0 }
        XCTAssertEqual(third.count, 5)
        guard third.count == 5 else { return }
        XCTAssertFalse(third[4] === second[3])
        try await busy.get()
        await server.close()
        try await group.shutdownGracefully()
    }

    func testAClientRefusesAReplyOverItsOwnLimit() async throws {
        // A home node configured with a larger limit than the origin's: the origin does not read past its own.
        let (server, address) = try await serve(limits: ClusterForwardLimits(timeout: .seconds(5), replyBytes: 1 << 20)) { _, _ in
            ClusterReply(fields: [.init("Response", "Success"), .init("Message", String(repeating: "x", count: 200_000))])
        }
        let client = ClusterControlClient(
            codec: codec, limits: ClusterForwardLimits(timeout: .seconds(5), replyBytes: 65_536), group: MultiThreadedEventLoopGroup.singleton)
        let result = await client.send(action, to: address)
        await server.close()
        XCTAssertEqual(result, .unanswered)
    }
}
