import Foundation
import PBX
import XCTest

@testable import Store

/// A row the store reads never stops the process: a NULL where a value is required, or a value of
/// another type (an operator's hand edit in PostgreSQL or SQLite), makes the read throw
/// `StoreCorruptRow` naming the column. Before, `StoreRow`'s subscripts trapped (preconditionFailure).
class StoreCorruptRowTests: StoreBackendTestCase {
    let yaml = "tenants:\n  - name: acme\n    trunks:\n      - name: carrier\n        host: 127.0.0.1\n"

    func testNullAndWronglyTypedColumnsThrowInsteadOfTrapping() async throws {
        let store = try await openStore()
        let rows = try await store.database.read { db in
            try db.fetchAll(sql: "SELECT CAST(NULL AS TEXT) AS host, 'five' AS port, 7 AS strip")
        }
        let row = try XCTUnwrap(rows.first)
        XCTAssertThrowsError(try row["host"] as String) { error in
            XCTAssertEqual(error as? StoreCorruptRow, StoreCorruptRow(column: "host", problem: "is NULL"))
        }
        XCTAssertThrowsError(try row["port"] as Int) { error in
            XCTAssertEqual((error as? StoreCorruptRow)?.column, "port", "\(error)")
        }
        XCTAssertThrowsError(try row["port"] as Int?) { error in
            XCTAssertEqual((error as? StoreCorruptRow)?.column, "port", "\(error)")
        }
        XCTAssertThrowsError(try row["nowhere"] as Int) { error in
            XCTAssertEqual(error as? StoreCorruptRow, StoreCorruptRow(column: "nowhere", problem: "is missing"))
        }
        XCTAssertNil(try row["host"] as String?)
        XCTAssertNil(try row["nowhere"] as Int?)
        XCTAssertEqual(try row["strip"] as Int, 7)
        XCTAssertEqual(try row["PORT"] as String, "five")
    }

    func testATrunkRowEditedByHandFailsTheReadNotTheProcess() async throws {
        let store = try await openStore()
        try await store.apply(try ProvisioningParser.parse(yaml: yaml))
        let tenants = try await store.tenants()
        let tenant = try XCTUnwrap(tenants.first)
        let trunks = try await store.storedTrunks()
        XCTAssertEqual(trunks.first?.trunk.port, 5060)

        // What an operator can do by hand: PostgreSQL keeps column types, so a NULL once NOT NULL is
        // dropped; SQLite keeps any value in any column, so text in the integer column.
        let backend = Self.backend
        try await store.database.write { db in
            if backend == .postgres {
                try db.execute(sql: "ALTER TABLE trunk ALTER COLUMN port DROP NOT NULL")
                try db.execute(sql: "UPDATE trunk SET port = NULL")
            } else {
                try db.execute(sql: "UPDATE trunk SET port = 'five'")
            }
        }
        let problem = backend == .postgres ? "is NULL" : "is not Int: text"
        await assertCorrupt(problem) { _ = try await store.storedTrunks() }
        await assertCorrupt(problem) { _ = try await store.trunkRecords(of: tenant.uuid) }
        await assertCorrupt(problem) { _ = try await store.trunkRecord("carrier", tenant: tenant.uuid) }
        // The rest of the store goes on.
        let after = try await store.tenants()
        XCTAssertEqual(after.count, 1)
    }

    func assertCorrupt(_ problem: String, _ body: () async throws -> Void, line: UInt = #line) async {
        do {
            try await body()
            XCTFail("no error", line: line)
        } catch {
            XCTAssertEqual(error as? StoreCorruptRow, StoreCorruptRow(column: "port", problem: problem), "\(error)", line: line)
        }
    }
}

/// The same tests on PostgreSQL (Linux XCTest finds only the test methods a class declares itself).
final class StoreCorruptRowTestsOnPostgres: StoreCorruptRowTests {
    override class var backend: Backend { .postgres }
    override func testNullAndWronglyTypedColumnsThrowInsteadOfTrapping() async throws {
        try await super.testNullAndWronglyTypedColumnsThrowInsteadOfTrapping()
    }
    override func testATrunkRowEditedByHandFailsTheReadNotTheProcess() async throws {
        try await super.testATrunkRowEditedByHandFailsTheReadNotTheProcess()
    }
}
