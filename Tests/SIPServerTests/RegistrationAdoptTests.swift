import Foundation
import Logging
import SIP
import Store
import XCTest

@testable import SIPServer

/// A node that becomes a tenant's home (failover) takes over the bindings another node stored for it:
/// `SIPCore.adopt` adds the live ones it does not hold, keeps their Path, and marks them to persist as
/// this node's.
final class RegistrationAdoptTests: XCTestCase {
    let tenant = UUID(uuidString: "7d2c0e2a-1111-4222-8333-444455556666")!
    let now: UInt64 = 1_800_000_000

    func core() -> SIPCore {
        SIPCore(
            configuration: SIPServerConfiguration(host: "192.0.2.1", port: 5060), directory: SIPDirectory(),
            logger: Logger(label: "adopt-test")
        ) { _ in "192.0.2.1:5060" }
    }

    func record(_ number: String, contact: String, expiresIn: Int, node: String = "n2") -> RegistrationRecord {
        RegistrationRecord(
            tenant: tenant, number: number, bindingKey: contact, contact: "<\(contact)>", instance: nil, callID: "c-\(number)",
            cseq: 3, expiresAt: Double(Int(now) + expiresIn), source: "198.51.100.5:5060", transport: "udp", userAgent: "phone",
            path: ["<sip:198.51.100.5:5060;lr;received=sip:203.0.113.9:5062>"], nodeID: node)
    }

    func testLiveBindingsOfAnotherNodeAreTakenOverWithTheirPath() throws {
        let core = core()
        let added = core.adopt(
            [record("100", contact: "sip:100@203.0.113.9:5062", expiresIn: 600), record("101", contact: "sip:101@203.0.113.9:5062", expiresIn: -1)],
            wallClock: now)
        XCTAssertEqual(added, 1, "the lapsed binding of 101 is not taken")
        let changes = core.takeChanges(wallClock: now)
        XCTAssertEqual(changes.map(\.number), ["100"], "the taken binding is persisted (as this node's)")
        let binding = try XCTUnwrap(changes.first?.bindings.first)
        XCTAssertEqual(binding.path, ["<sip:198.51.100.5:5060;lr;received=sip:203.0.113.9:5062>"])
        XCTAssertEqual(binding.contact, "<sip:100@203.0.113.9:5062>")
        XCTAssertEqual(binding.nodeID, CentralinoStore.defaultNodeID, "written by this node, which sets its own id")
        XCTAssertEqual(SIPCore.endpoint(try XCTUnwrap(core.stripeBindings(tenant, "100", now: now).first))?.address.port, 5060)
    }

    func testABindingAlreadyHeldIsNotAddedTwice() {
        let core = core()
        core.load([record("100", contact: "sip:100@203.0.113.9:5062", expiresIn: 600, node: "n1")], wallClock: now)
        XCTAssertEqual(core.adopt([record("100", contact: "sip:100@203.0.113.9:5062", expiresIn: 900)], wallClock: now), 0)
        XCTAssertTrue(core.takeChanges(wallClock: now).isEmpty, "nothing changed")
        XCTAssertEqual(core.adopt([record("100", contact: "sip:100@203.0.113.77:5062", expiresIn: 900)], wallClock: now), 1)
        XCTAssertEqual(core.takeChanges(wallClock: now).first?.bindings.count, 2, "a second contact of 100 joins the one held")
    }
}

extension SIPCore {
    /// The bindings held for an extension at `now` (test view).
    fileprivate func stripeBindings(_ tenant: UUID, _ number: String, now: UInt64) -> [RegistrarBinding] {
        stripe(of: tenant).withLockedValue { ($0.aors[TenantName(tenant, number)]?.bindings ?? []).filter { $0.expiresAt > now } }
    }
}
