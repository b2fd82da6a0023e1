import Foundation
import XCTest

@testable import Cluster

final class ClusterPayloadTests: XCTestCase {
    private let tenant = UUID(uuidString: "6f1c2b1e-0000-4000-8000-000000000001")!

    private func event(fields: [ClusterEvent.Field]) -> ClusterEvent {
        ClusterEvent(
            tenant: tenant, node: "n2", boot: 1_700_000_000_000_000, sequence: 42, sentAt: 1_700_000_001_000_000, name: "Newchannel",
            classes: 5, fields: fields)
    }

    func testAnEventReadsBackAsItWasWritten() {
        let original = event(fields: [.init("SystemName", "n2"), .init("Channel", "PJSIP/100-00000001"), .init("Note", "a \"quoted\"\\ line\u{0}é")])
        let text = ClusterPayload.encode(original)
        XCTAssertEqual(ClusterPayload.decode(text), .inline(original))
        XCTAssertFalse(text.contains("\u{0}"), "NOTIFY payloads cannot hold NUL")
    }

    func testAReferenceCarriesTheHeaderForGapCounting() {
        let original = event(fields: [])
        let text = ClusterPayload.encodeReference(id: 7, of: original)
        XCTAssertEqual(ClusterPayload.decode(text), .reference(id: 7, tenant: tenant, node: "n2", boot: original.boot, sequence: 42))
        XCTAssertLessThan(text.utf8.count, 200)
    }

    func testAnEventOverTheNotifyLimitIsLongerThanTheLimit() {
        let big = event(fields: [.init("Value", String(repeating: "x", count: 8_000))])
        XCTAssertGreaterThan(ClusterPayload.encode(big).utf8.count, ClusterPayload.maximumNotifyBytes)
        XCTAssertLessThanOrEqual(ClusterPayload.encode(event(fields: [])).utf8.count, ClusterPayload.maximumNotifyBytes)
        XCTAssertLessThan(ClusterPayload.maximumNotifyBytes, 8_000)
    }

    func testGarbageAndBadNodeIdsAreRefused() {
        XCTAssertNil(ClusterPayload.decode("not json"))
        XCTAssertNil(ClusterPayload.decode("{}"))
        var bad = event(fields: [])
        bad.node = "n 2"
        XCTAssertNil(ClusterPayload.decode(ClusterPayload.encode(bad)))
        XCTAssertNil(ClusterPayload.decode(String(repeating: " ", count: ClusterPayload.maximumEventBytes + 1)))
    }

    func testATenantAlwaysHasTheSameChannelAndChannelsSpread() {
        var seen = Set<String>()
        for _ in 0..<200 {
            let some = UUID()
            let channel = ClusterPayload.channel(for: some, shards: 4)
            XCTAssertEqual(channel, ClusterPayload.channel(for: some, shards: 4))
            seen.insert(channel)
        }
        XCTAssertEqual(seen, ["centralino_events_0", "centralino_events_1", "centralino_events_2", "centralino_events_3"])
    }

    func testNodeIds() {
        XCTAssertTrue(ClusterNodeID.isValid("n1"))
        XCTAssertTrue(ClusterNodeID.isValid("node-1.eu_west"))
        XCTAssertFalse(ClusterNodeID.isValid(""))
        XCTAssertFalse(ClusterNodeID.isValid(String(repeating: "a", count: 65)))
        XCTAssertFalse(ClusterNodeID.isValid("n1;drop"))
        XCTAssertFalse(ClusterNodeID.isValid("nodé"))
    }
}

final class ClusterGapCounterTests: XCTestCase {
    func testGapsArePerPublisherAndCounted() {
        var counter = ClusterGapCounter()
        XCTAssertEqual(counter.observe(node: "n2", boot: 1, sequence: 10), .deliver(lost: 0), "what came before we listened is not ours")
        XCTAssertEqual(counter.observe(node: "n2", boot: 1, sequence: 11), .deliver(lost: 0))
        XCTAssertEqual(counter.observe(node: "n3", boot: 5, sequence: 1), .deliver(lost: 0))
        XCTAssertEqual(counter.observe(node: "n2", boot: 1, sequence: 15), .deliver(lost: 3))
        XCTAssertEqual(counter.observe(node: "n3", boot: 5, sequence: 2), .deliver(lost: 0))
        XCTAssertEqual(counter.lost, 3)
    }

    func testDuplicatesAndOldRunsAreNotDelivered() {
        var counter = ClusterGapCounter()
        _ = counter.observe(node: "n2", boot: 2, sequence: 5)
        XCTAssertEqual(counter.observe(node: "n2", boot: 2, sequence: 5), .duplicate)
        XCTAssertEqual(counter.observe(node: "n2", boot: 2, sequence: 4), .duplicate)
        XCTAssertEqual(counter.observe(node: "n2", boot: 1, sequence: 9), .duplicate)
        XCTAssertEqual(counter.lost, 0)
    }

    func testARestartedPublisherCountsWhatItsNewRunSentBefore() {
        var counter = ClusterGapCounter()
        _ = counter.observe(node: "n2", boot: 1, sequence: 100)
        XCTAssertEqual(counter.observe(node: "n2", boot: 2, sequence: 1), .deliver(lost: 0))
        XCTAssertEqual(counter.observe(node: "n2", boot: 3, sequence: 4), .deliver(lost: 3))
        XCTAssertEqual(counter.lost, 3)
    }

    func testPublishersRememberedAreBounded() {
        var counter = ClusterGapCounter()
        for index in 0...ClusterGapCounter.maximumPublishers { _ = counter.observe(node: "n\(index)", boot: 1, sequence: 1) }
        // n0, the oldest, was forgotten: its next event starts afresh (no gap counted).
        XCTAssertEqual(counter.observe(node: "n0", boot: 1, sequence: 50), .deliver(lost: 0))
        XCTAssertEqual(counter.observe(node: "n\(ClusterGapCounter.maximumPublishers)", boot: 1, sequence: 3), .deliver(lost: 1))
    }
}

final class ClusterPlacementTests: XCTestCase {
    func testTenantsGoToTheLeastLoadedLiveNodeAndSpread() {
        let tenants = (1...4).map { UUID(uuidString: "00000000-0000-4000-8000-00000000000\($0)")! }
        let plan = ClusterPlacement.assign(tenants, load: ["n1": 3, "n2": 0, "n3": 1])
        XCTAssertEqual(plan.map(\.node), ["n2", "n2", "n3", "n2"])
        XCTAssertEqual(plan.map(\.tenant), tenants)
    }

    func testTiesGoToTheSmallerNodeIdAndNoLiveNodeMeansNoPlan() {
        let tenant = UUID()
        XCTAssertEqual(ClusterPlacement.assign([tenant], load: ["n2": 1, "n1": 1]).first?.node, "n1")
        XCTAssertTrue(ClusterPlacement.assign([tenant], load: [:]).isEmpty)
    }

    func testDomainsAsTheTableAcceptsThem() {
        XCTAssertTrue(NodeMembership.isValidDomain("acme.example"))
        XCTAssertFalse(NodeMembership.isValidDomain("Acme.example"))
        XCTAssertFalse(NodeMembership.isValidDomain("-acme"))
        XCTAssertFalse(NodeMembership.isValidDomain("acme example"))
        XCTAssertFalse(NodeMembership.isValidDomain(""))
    }
}

final class ClusterSchemaTests: XCTestCase {
    func testTheKamailioSchemaIsTheRepositorysFile() throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("deploy/kamailio/schema.sql")
        XCTAssertEqual(ClusterSchema.kamailio, try String(contentsOf: file, encoding: .utf8))
    }

    func testStatementsAreSplitOneByOneWithoutComments() {
        let statements = ClusterSchema.statements(ClusterSchema.kamailio + ClusterSchema.centralino)
        XCTAssertEqual(statements.count, 8)
        XCTAssertTrue(statements[0].hasPrefix("CREATE TABLE IF NOT EXISTS cluster_node ("))
        XCTAssertTrue(statements.allSatisfy { $0.hasSuffix(";") && !$0.contains("\n--") })
        XCTAssertEqual(ClusterSchema.statements("-- only\n\nSELECT 1;\nSELECT\n 2;"), ["SELECT 1;", "SELECT\n 2;"])
    }
}

final class ClusterControlCodecTests: XCTestCase {
    private let codec = ClusterControlCodec(secretKeyFile: Data("node secret key".utf8))
    private let action = ClusterForwardedAction(
        tenant: UUID(uuidString: "7d2c0e2a-1111-4222-8333-444455556666")!, username: "crm",
        headers: [.init("Action", "Originate"), .init("Channel", "Local/100@c2c"), .init("ActionID", "x\"y")])

    func testASignedRequestReadsBack() {
        let line = codec.encodeRequest(action, now: 1000, nonce: "n1")
        XCTAssertFalse(line.contains("\n"))
        XCTAssertEqual(codec.decodeRequest(line, now: 1010)?.action, action)
        XCTAssertEqual(codec.decodeRequest(line, now: 1010)?.nonce, "n1")
    }

    func testTamperedForeignKeyOrStaleRequestsAreRefused() {
        let line = codec.encodeRequest(action, now: 1000, nonce: "n1")
        XCTAssertNil(codec.decodeRequest(line.replacingOccurrences(of: "crm", with: "adm"), now: 1000))
        XCTAssertNil(ClusterControlCodec(secretKeyFile: Data("another key".utf8)).decodeRequest(line, now: 1000))
        XCTAssertNil(codec.decodeRequest(line, now: 1000 + ClusterControlCodec.maximumSkew + 1))
        XCTAssertNil(codec.decodeRequest(line, now: 1000 - ClusterControlCodec.maximumSkew - 1))
        XCTAssertNil(codec.decodeRequest("garbage", now: 1000))
    }

    func testRepliesAreSignedToo() {
        let reply = codec.encodeReply(
            ClusterReply(fields: [.init("Response", "Success"), .init("Message", "Originate successfully queued")]), nonce: "n1")
        XCTAssertEqual(codec.decodeReply(reply, nonce: "n1")?.fields.count, 2)
        XCTAssertNil(ClusterControlCodec(secretKeyFile: Data("another key".utf8)).decodeReply(reply, nonce: "n1"))
    }

    func testANonceIsAdmittedOnce() {
        var nonces = ClusterNonces()
        XCTAssertTrue(nonces.admit("a", now: 1))
        XCTAssertFalse(nonces.admit("a", now: 2))
        XCTAssertTrue(nonces.admit("b", now: 2))
    }
}
