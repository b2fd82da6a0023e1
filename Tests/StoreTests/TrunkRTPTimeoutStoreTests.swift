import Foundation
import PBX
import Store
import XCTest

/// A trunk's `rtp_timeout` in provisioning files: parsed with its range (0...86400), stored in the
/// nullable `trunk.rtp_timeout` column (migration v5), absent = the node's `--rtp-timeout`.
class TrunkRTPTimeoutStoreTests: StoreBackendTestCase {
    func yaml(_ rtpTimeout: String?) -> String {
        "tenants:\n  - name: acme\n    trunks:\n      - name: carrier\n        host: 127.0.0.1\n"
            + (rtpTimeout.map { "        rtp_timeout: \($0)\n" } ?? "")
    }

    func testRTPTimeoutIsParsedStoredAndResetWhenAbsent() async throws {
        XCTAssertEqual(try ProvisioningParser.parse(yaml: yaml("3")).tenants[0].trunks[0].trunk.rtpTimeout, 3)
        XCTAssertNil(try ProvisioningParser.parse(yaml: yaml(nil)).tenants[0].trunks[0].trunk.rtpTimeout)

        let store = try await openStore()
        try await store.apply(try ProvisioningParser.parse(yaml: yaml("3")))
        var trunks = try await store.storedTrunks()
        XCTAssertEqual(trunks.first?.trunk.rtpTimeout, 3)
        let tenants = try await store.tenants()
        let tenant = try XCTUnwrap(tenants.first)
        let record = try await store.trunkRecord("carrier", tenant: tenant.uuid)
        XCTAssertEqual(record.trunk.rtpTimeout, 3)
        // 0 = never reaped, kept distinct from "absent".
        try await store.apply(try ProvisioningParser.parse(yaml: yaml("0")))
        trunks = try await store.storedTrunks()
        XCTAssertEqual(trunks.first?.trunk.rtpTimeout, 0)
        // A trunk entry replaces the stored one: without the key the node's value applies again.
        try await store.apply(try ProvisioningParser.parse(yaml: yaml(nil)))
        trunks = try await store.storedTrunks()
        XCTAssertNil(trunks.first?.trunk.rtpTimeout)
    }

    func testBadRTPTimeoutsNameTheLineAndField() {
        for value in ["-1", "86401", "1e3", "fast", "99999999999999999999", "[3]"] {
            XCTAssertThrowsError(try ProvisioningParser.parse(yaml: yaml(value)), value) { error in
                guard let error = error as? ProvisioningError else { return XCTFail("unexpected \(error)") }
                XCTAssertEqual(error.line, 6, "\(value): \(error)")
                XCTAssertTrue(error.field.hasSuffix("trunks[0].rtp_timeout"), "\(value): \(error)")
                if value != "[3]" { XCTAssertTrue(error.message.contains("0 to 86400"), "\(value): \(error)") }
            }
        }
        XCTAssertEqual(try ProvisioningParser.parse(yaml: yaml("86400")).tenants[0].trunks[0].trunk.rtpTimeout, 86_400)
    }

    func testTheAdminSaveRefusesAnOutOfRangeTimeout() async throws {
        let store = try await openStore()
        try await store.apply(try ProvisioningParser.parse(yaml: yaml(nil)))
        let tenants = try await store.tenants()
        let tenant = try XCTUnwrap(tenants.first)
        await assertThrowsAsync {
            try await store.saveTrunk(
                Trunk(name: "carrier", host: "127.0.0.1", port: 5060, rtpTimeout: 86_401),
                password: nil, replacing: "carrier", tenant: tenant.uuid)
        }
        let saved = try await store.saveTrunk(
            Trunk(name: "carrier", host: "127.0.0.1", port: 5060, rtpTimeout: 7),
            password: nil, replacing: "carrier", tenant: tenant.uuid)
        XCTAssertEqual(saved.trunk.rtpTimeout, 7)
    }
}

/// The same tests on PostgreSQL (Linux XCTest finds only the test methods a class declares itself).
final class TrunkRTPTimeoutStoreTestsOnPostgres: TrunkRTPTimeoutStoreTests {
    override class var backend: Backend { .postgres }
    override func testRTPTimeoutIsParsedStoredAndResetWhenAbsent() async throws { try await super.testRTPTimeoutIsParsedStoredAndResetWhenAbsent() }
    override func testBadRTPTimeoutsNameTheLineAndField() { super.testBadRTPTimeoutsNameTheLineAndField() }
    override func testTheAdminSaveRefusesAnOutOfRangeTimeout() async throws { try await super.testTheAdminSaveRefusesAnOutOfRangeTimeout() }
}
