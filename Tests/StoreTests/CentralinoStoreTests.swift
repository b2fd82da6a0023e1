import Foundation
import Store
import XCTest

class CentralinoStoreTests: StoreBackendTestCase {
    func document(_ yaml: String) throws -> ProvisioningDocument { try ProvisioningParser.parse(yaml: yaml) }

    func testDefaultTenantIsCreatedOnceAndKeepsItsUUID() async throws {
        let store = try await openStore()
        let first = try await store.ensureDefaultTenant()
        let again = try await openStore().ensureDefaultTenant()
        XCTAssertEqual(first.uuid, again.uuid)
        XCTAssertEqual(first.domain, "default")
    }

    func testApplyIsIdempotentAndSecretsAreNotStoredInClear() async throws {
        let store = try await openStore()
        let yaml =
            "tenants:\n  - name: acme\n    extensions:\n      - { number: \"100\", password: sipsecret100 }\n    ami_users:\n      - { username: crm, password: amisecret42, permit: [\"127.0.0.1\"] }\n"
        try await store.apply(try document(yaml))
        let revision = try await store.revision()
        try await store.apply(try document(yaml))
        let newRevision = try await store.revision()
        XCTAssertGreaterThan(newRevision, revision)
        let names = try await store.tenants().map(\.name)
        XCTAssertEqual(names, ["acme"])
        let accounts = try await store.amiAccounts()
        XCTAssertEqual(accounts.count, 1)
        XCTAssertEqual(accounts[0].secret, "amisecret42")
        XCTAssertEqual(accounts[0].permit, ["127.0.0.1"])
        let extensions = try await store.extensions(of: try await store.tenants()[0].uuid)
        XCTAssertEqual(extensions.map(\.number), ["100"])
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) {
            let bytes = try Data(contentsOf: directory.appendingPathComponent(name))
            XCTAssertNil(bytes.range(of: Data("amisecret42".utf8)), "AMI secret in clear in \(name)")
            XCTAssertNil(bytes.range(of: Data("sipsecret100".utf8)), "SIP password in clear in \(name)")
        }
    }

    func testUsernameOfAnotherTenantIsRefusedAndNothingIsApplied() async throws {
        let store = try await openStore()
        try await store.apply(try document("tenants:\n  - name: a\n    ami_users:\n      - { username: crm, password: x }\n"))
        let clash =
            "tenants:\n  - name: newco\n    ami_users:\n      - { username: other, password: y }\n  - name: b\n    ami_users:\n      - { username: CRM, password: y }\n"
        await assertThrowsAsync({ try await store.apply(try document(clash)) }) { error in
            let error = error as? ProvisioningError
            XCTAssertEqual(error?.line, 7)
            XCTAssertTrue(
                error?.message.contains("tenant 'a'") == true && error?.message.contains("tenant 'b'") == true, "\(String(describing: error))")
        }
        let namesAfterRefusal = try await store.tenants().map(\.name)
        XCTAssertEqual(namesAfterRefusal, ["a"], "the whole file is refused")
        let accounts = try await store.amiAccounts()
        XCTAssertEqual(accounts.map(\.username), ["crm"])
    }

    func testTenantUUIDNeverChanges() async throws {
        let store = try await openStore()
        try await store.apply(try document("tenants:\n  - name: a\n    uuid: 7d2c0e2a-1111-4222-8333-444455556666\n"))
        await assertThrowsAsync {
            try await store.apply(try self.document("tenants:\n  - name: a\n    uuid: 7d2c0e2a-1111-4222-8333-444455556667\n"))
        }
        let uuid = try await store.tenants()[0].uuid.uuidString.lowercased()
        XCTAssertEqual(uuid, "7d2c0e2a-1111-4222-8333-444455556666")
    }

    func testRouteMustNameATrunk() async throws {
        let store = try await openStore()
        await assertThrowsAsync({
            try await store.apply(try self.document("tenants:\n  - name: a\n    outbound_routes:\n      - { prefix: \"0\", trunk: nope }\n"))
        }) {
            error in
            XCTAssertEqual((error as? ProvisioningError)?.line, 4)
        }
        let tenantCount = try await store.tenants().count
        XCTAssertEqual(tenantCount, 0)
    }

    func testRegistrationsOfATenantAreOnlyItsOwn() async throws {
        let store = try await openStore()
        try await store.apply(try document("tenants:\n  - name: a\n    domain: a.test\n  - name: b\n    domain: b.test\n"))
        let tenants = try await store.tenants()
        let a = try XCTUnwrap(tenants.first { $0.name == "a" }).uuid
        let b = try XCTUnwrap(tenants.first { $0.name == "b" }).uuid
        func binding(_ tenant: UUID, _ contact: String) -> RegistrationRecord {
            RegistrationRecord(
                tenant: tenant, number: "100", bindingKey: contact, contact: contact, instance: nil, callID: "c-\(contact)", cseq: 1,
                expiresAt: 4_000_000_000, source: "127.0.0.1:5070", transport: "udp", userAgent: nil)
        }
        try await store.replaceRegistrations([
            (tenant: a, number: "100", bindings: [binding(a, "sip:100@10.0.0.1")]),
            (tenant: b, number: "100", bindings: [binding(b, "sip:100@10.0.0.2"), binding(b, "sip:100@10.0.0.3")]),
        ])
        let ofA = try await store.registrations(of: a)
        XCTAssertEqual(ofA.map(\.contact), ["sip:100@10.0.0.1"])
        let ofB = try await store.registrations(of: b)
        XCTAssertEqual(Set(ofB.map(\.contact)), ["sip:100@10.0.0.2", "sip:100@10.0.0.3"])
        let registrationCount = try await store.registrations().count
        XCTAssertEqual(registrationCount, 3)
        try await store.checkReadable()
    }

    func testRegistrationPathIsStoredTopFirst() async throws {
        let store = try await openStore()
        try await store.apply(try document("tenants:\n  - name: a\n    domain: a.test\n"))
        let tenants = try await store.tenants()
        let tenant = try XCTUnwrap(tenants.first).uuid
        let path = ["<sip:203.0.113.1:5070;lr;received=sip:198.51.100.7:4000>", "<sip:203.0.113.2;lr>"]
        let records = [
            RegistrationRecord(
                tenant: tenant, number: "100", bindingKey: "sip:100@10.0.0.1", contact: "sip:100@10.0.0.1", instance: nil, callID: "c1",
                cseq: 1, expiresAt: 4_000_000_000, source: "203.0.113.1:5070", transport: "udp", userAgent: nil, path: path),
            RegistrationRecord(
                tenant: tenant, number: "101", bindingKey: "sip:101@10.0.0.2", contact: "sip:101@10.0.0.2", instance: nil, callID: "c2",
                cseq: 1, expiresAt: 4_000_000_000, source: "10.0.0.2:5060", transport: "udp", userAgent: nil),
        ]
        try await store.replaceRegistrations([
            (tenant: tenant, number: "100", bindings: [records[0]]), (tenant: tenant, number: "101", bindings: [records[1]]),
        ])
        let stored = try await openStore().registrations()
        XCTAssertEqual(stored.sorted { $0.number < $1.number }, records)
    }

    func testNodesReplaceOnlyTheirOwnBindings() async throws {
        let first = try await openStore(nodeID: "node1")
        let second = try await openStore(nodeID: "node2")
        try await first.apply(try document("tenants:\n  - name: a\n    domain: a.test\n"))
        let tenant = try await first.tenants()[0].uuid
        func binding(_ contact: String) -> RegistrationRecord {
            RegistrationRecord(
                tenant: tenant, number: "100", bindingKey: contact, contact: contact, instance: nil, callID: "c-\(contact)", cseq: 1,
                expiresAt: 4_000_000_000, source: "192.0.2.1:5060", transport: "udp", userAgent: nil)
        }
        try await first.replaceRegistrations([(tenant: tenant, number: "100", bindings: [binding("sip:100@10.0.0.1")])])
        try await second.replaceRegistrations([(tenant: tenant, number: "100", bindings: [binding("sip:100@10.0.0.2")])])
        // node1 unregisters its phone: node2's binding of the same extension stays.
        try await first.replaceRegistrations([(tenant: tenant, number: "100", bindings: [])])
        let own = try await second.registrations()
        XCTAssertEqual(own.map(\.contact), ["sip:100@10.0.0.2"])
        XCTAssertEqual(own.map(\.nodeID), ["node2"])
        let firstOwn = try await first.registrations()
        XCTAssertEqual(firstOwn.count, 0)
        // The same binding registered again through node1 moves to it.
        try await first.replaceRegistrations([(tenant: tenant, number: "100", bindings: [binding("sip:100@10.0.0.2")])])
        let all = try await first.registrations(of: tenant)
        XCTAssertEqual(all.map(\.nodeID), ["node1"])
    }

    func testAnotherKeyFileIsRefusedAtOpen() async throws {
        let store = try await openStore()
        try await store.apply(try document("tenants:\n  - name: a\n    ami_users:\n      - { username: crm, password: x }\n"))
        let keyFile = directory.appendingPathComponent(CentralinoStore.keyFileName)
        try FileManager.default.removeItem(at: keyFile)
        await assertThrowsAsync({ try await self.openStore() }) { error in
            XCTAssertTrue("\(error)".contains("does not open the secrets stored"), "\(error)")
        }
    }

    func testStoresOpeningTogetherMigrateOnce() async throws {
        let directory = self.directory!
        let postgres = self.postgres
        async let first = CentralinoStore.open(dataDirectory: directory, postgres: postgres, poolSize: 1)
        async let second = CentralinoStore.open(dataDirectory: directory, postgres: postgres, poolSize: 1)
        let (a, b) = try await (first, second)
        try await a.ensureDefaultTenant()
        let tenants = try await b.tenants()
        XCTAssertEqual(tenants.map(\.name), ["default"])
        // Both created the key file at once; they must hold the key it ended with: a secret sealed by
        // either opens in a store opened afterwards.
        try await a.apply(try document("tenants:\n  - name: a\n    ami_users:\n      - { username: crm, password: x }\n"))
        try await b.apply(try document("tenants:\n  - name: b\n    ami_users:\n      - { username: crm2, password: y }\n"))
        try await a.close()
        try await b.close()
        let third = try await CentralinoStore.open(dataDirectory: directory, postgres: postgres, poolSize: 1)
        let secrets = try await third.amiAccounts().map(\.secret)
        XCTAssertEqual(secrets.sorted(), ["x", "y"])
        try await third.close()
    }
}

/// The same tests on PostgreSQL (Linux XCTest finds only the test methods a class declares itself).
final class CentralinoStoreTestsOnPostgres: CentralinoStoreTests {
    override class var backend: Backend { .postgres }
    override func testDefaultTenantIsCreatedOnceAndKeepsItsUUID() async throws { try await super.testDefaultTenantIsCreatedOnceAndKeepsItsUUID() }
    override func testApplyIsIdempotentAndSecretsAreNotStoredInClear() async throws {
        try await super.testApplyIsIdempotentAndSecretsAreNotStoredInClear()
    }
    override func testUsernameOfAnotherTenantIsRefusedAndNothingIsApplied() async throws {
        try await super.testUsernameOfAnotherTenantIsRefusedAndNothingIsApplied()
    }
    override func testTenantUUIDNeverChanges() async throws { try await super.testTenantUUIDNeverChanges() }
    override func testRouteMustNameATrunk() async throws { try await super.testRouteMustNameATrunk() }
    override func testRegistrationsOfATenantAreOnlyItsOwn() async throws { try await super.testRegistrationsOfATenantAreOnlyItsOwn() }
    override func testRegistrationPathIsStoredTopFirst() async throws { try await super.testRegistrationPathIsStoredTopFirst() }
    override func testNodesReplaceOnlyTheirOwnBindings() async throws { try await super.testNodesReplaceOnlyTheirOwnBindings() }
    override func testAnotherKeyFileIsRefusedAtOpen() async throws { try await super.testAnotherKeyFileIsRefusedAtOpen() }
    override func testStoresOpeningTogetherMigrateOnce() async throws { try await super.testStoresOpeningTogetherMigrateOnce() }
}
