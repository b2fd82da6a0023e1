import Foundation
import PBX
import Store
import XCTest

/// A tenant's `limits` in provisioning files: parsed strictly, stored in nullable columns, kept
/// when a file has no `limits`, reset by `limits: {}`.
class TenantLimitsStoreTests: StoreBackendTestCase {
    func tenantYAML(_ limits: String?) -> String {
        "tenants:\n  - name: acme\n    domain: acme.test\n" + (limits.map { "    limits: \($0)\n" } ?? "")
    }

    func testLimitsAreAppliedKeptAndReset() async throws {
        let store = try await openStore()
        try await store.apply(
            try ProvisioningParser.parse(yaml: tenantYAML("{ channels: 6, rtp_port_pairs: 3, ami_sessions: 2, originates_per_second: 0 }")))
        let applied = try await store.tenants().first?.limits
        XCTAssertEqual(applied, TenantLimits(channels: 6, rtpPortPairs: 3, amiSessions: 2, originatesPerSecond: 0))
        // No `limits` mapping: the stored ones stay.
        try await store.apply(try ProvisioningParser.parse(yaml: tenantYAML(nil)))
        let keptChannels = try await store.tenants().first?.limits.channels
        XCTAssertEqual(keptChannels, 6)
        // A mapping sets all four: absent keys return to the node's default.
        try await store.apply(try ProvisioningParser.parse(yaml: tenantYAML("{ ami_sessions: 4 }")))
        let replaced = try await store.tenants().first?.limits
        XCTAssertEqual(replaced, TenantLimits(amiSessions: 4))
        try await store.apply(try ProvisioningParser.parse(yaml: tenantYAML("{}")))
        let reset = try await store.tenants().first?.limits
        XCTAssertEqual(reset, TenantLimits())
    }

    func testBadLimitsNameTheLineAndField() {
        for (limits, field) in [
            ("{ channels: 0 }", "limits.channels"), ("{ channels: -1 }", "limits.channels"),
            ("{ rtp_port_pairs: 1e9 }", "limits.rtp_port_pairs"), ("{ ami_sessions: 99999999999999999999 }", "limits.ami_sessions"),
            ("{ originates_per_second: fast }", "limits.originates_per_second"), ("{ channel: 5 }", "limits.channel"),
            ("{ channels: [1] }", "limits.channels"), ("7", "limits"),
        ] {
            XCTAssertThrowsError(try ProvisioningParser.parse(yaml: tenantYAML(limits)), limits) { error in
                guard let error = error as? ProvisioningError else { return XCTFail("\(error)") }
                XCTAssertTrue(error.field.hasSuffix(field), "\(limits): \(error)")
                XCTAssertEqual(error.line, 4, "\(limits): \(error)")
            }
        }
        XCTAssertEqual(
            try ProvisioningParser.parse(yaml: tenantYAML("{ originates_per_second: 0, channels: 1000000 }")).tenants[0].limits,
            TenantLimits(channels: 1_000_000, originatesPerSecond: 0))
    }
}

/// The same tests on PostgreSQL (Linux XCTest finds only the test methods a class declares itself).
final class TenantLimitsStoreTestsOnPostgres: TenantLimitsStoreTests {
    override class var backend: Backend { .postgres }
    override func testLimitsAreAppliedKeptAndReset() async throws { try await super.testLimitsAreAppliedKeptAndReset() }
    override func testBadLimitsNameTheLineAndField() { super.testBadLimitsNameTheLineAndField() }
}
