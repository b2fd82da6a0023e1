import Foundation
import Logging
import SIP
import Store
import XCTest

@testable import SIPServer

/// A stored binding whose `expires_at` is no time (NaN, infinite, negative, beyond UInt64: a row
/// edited by hand in SQLite or PostgreSQL) is skipped when loaded at start or taken over after a
/// failover; `UInt64(_:)` on it trapped and stopped the node.
final class StoredRegistrationExpiryTests: XCTestCase {
    let tenant = UUID(uuidString: "7d2c0e2a-1111-4222-8333-444455556666")!
    let now = SIPClock.wallSeconds()

    func record(_ number: String, expiresAt: Double) -> RegistrationRecord {
        RegistrationRecord(
            tenant: tenant, number: number, bindingKey: "sip:\(number)@203.0.113.9:5062", contact: "<sip:\(number)@203.0.113.9:5062>",
            instance: nil, callID: "c-\(number)", cseq: 3, expiresAt: expiresAt, source: "198.51.100.5:5060", transport: "udp",
            userAgent: nil, path: [], nodeID: "n2")
    }

    func testExpiriesThatAreNoTimeAreSkippedNotTrappedOn() {
        let bad: [Double] = [.nan, .infinity, -.infinity, -1, 1e300, Double(UInt64.max)]
        let records = bad.enumerated().map { record("10\($0.offset)", expiresAt: $0.element) } + [record("200", expiresAt: Double(now + 600))]
        let loading = SIPCore(
            configuration: SIPServerConfiguration(host: "192.0.2.1", port: 5060), directory: SIPDirectory(),
            logger: Logger(label: "expiry-test")
        ) { _ in "192.0.2.1:5060" }
        loading.load(records, wallClock: now)
        XCTAssertEqual(loading.bindings(tenant: tenant, number: "200").count, 1)
        for index in bad.indices { XCTAssertEqual(loading.bindings(tenant: tenant, number: "10\(index)").count, 0, "\(bad[index])") }
        let adopting = SIPCore(
            configuration: SIPServerConfiguration(host: "192.0.2.1", port: 5060), directory: SIPDirectory(),
            logger: Logger(label: "expiry-test")
        ) { _ in "192.0.2.1:5060" }
        XCTAssertEqual(adopting.adopt(records, wallClock: now), 1, "only the binding of 200 is taken")
        XCTAssertEqual(SIPCore.storedExpiry(1_800_000_600.5), 1_800_000_600)
        for value in bad { XCTAssertNil(SIPCore.storedExpiry(value), "\(value)") }
    }
}
