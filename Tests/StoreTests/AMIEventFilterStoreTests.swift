import Foundation
import PBX
import Store
import XCTest

/// An AMI user's `eventfilter` list in provisioning files: each line checked as the Filter action
/// checks it, stored in `ami_user.eventfilter` (migration v6-ami-eventfilter), handed to the AMI
/// directory with the account, replaced by the next file (absent = none).
class AMIEventFilterStoreTests: StoreBackendTestCase {
    func yaml(_ lines: [String]?) -> String {
        "tenants:\n  - name: acme\n    ami_users:\n      - username: crm\n        password: s3cret\n"
            + (lines.map { "        eventfilter:\n" + $0.map { "          - '\($0)'\n" }.joined() } ?? "")
    }

    func testListIsParsedStoredAndReplaced() async throws {
        let lines = ["Event: Newchannel", "!Channel: Local/", "eventfilter(action(exclude),name(Newexten)) = "]
        XCTAssertEqual(try ProvisioningParser.parse(yaml: yaml(lines)).tenants[0].amiUsers[0].eventFilter, lines)
        XCTAssertEqual(try ProvisioningParser.parse(yaml: yaml(nil)).tenants[0].amiUsers[0].eventFilter, [])

        let store = try await openStore()
        try await store.apply(try ProvisioningParser.parse(yaml: yaml(lines)))
        var accounts = try await store.activeAMIAccounts()
        XCTAssertEqual(accounts.first?.eventFilter, lines)
        let tenants = try await store.tenants()
        let tenant = try XCTUnwrap(tenants.first)
        var users = try await store.amiUsers(of: tenant.uuid)
        XCTAssertEqual(users.first?.eventFilter, lines)
        // the stored lines build the session's filters as the server does at login
        let filters = try AMIEventFilterSet(configured: lines)
        XCTAssertEqual(filters.include.count, 1)
        XCTAssertEqual(filters.exclude.count, 2)

        try await store.apply(try ProvisioningParser.parse(yaml: yaml(nil)))
        accounts = try await store.activeAMIAccounts()
        XCTAssertEqual(accounts.first?.eventFilter, [], "a file without the key leaves no filter")
        try await store.setAMIEventFilter(["Event: Hangup"], username: "crm", tenant: tenant.uuid)
        users = try await store.amiUsers(of: tenant.uuid)
        XCTAssertEqual(users.first?.eventFilter, ["Event: Hangup"])
    }

    func testBadLinesAreRefusedNamingThem() {
        for (line, reason) in [
            ("XX[X", "does not compile"), ("!", "needs a pattern"), ("eventfilter(nnnn(y)) = x", "is unknown"),
            (String(repeating: "x", count: 257), "longer than 256"),
        ] {
            XCTAssertThrowsError(try ProvisioningParser.parse(yaml: yaml(["Event: Hangup", line]))) { error in
                let error = error as? ProvisioningError
                XCTAssertEqual(error?.field.hasSuffix("eventfilter"), true, "\(String(describing: error))")
                XCTAssertEqual(error?.message.contains(reason), true, "\(String(describing: error))")
            }
        }
        XCTAssertThrowsError(try ProvisioningParser.parse(yaml: yaml((0..<33).map { "Event: E\($0)" })))
    }
}

/// The same tests on PostgreSQL (Linux XCTest finds only the test methods a class declares itself).
final class AMIEventFilterStoreTestsOnPostgres: AMIEventFilterStoreTests {
    override class var backend: Backend { .postgres }
    override func testListIsParsedStoredAndReplaced() async throws { try await super.testListIsParsedStoredAndReplaced() }
    override func testBadLinesAreRefusedNamingThem() { super.testBadLinesAreRefusedNamingThem() }
}
