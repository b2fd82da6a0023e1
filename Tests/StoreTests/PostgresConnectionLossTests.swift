import Foundation
import Logging
import NIOConcurrencyHelpers
import PBX
import PostgresNIO
import XCTest

@testable import Store

/// The PostgreSQL backend when the server drops its connections (a restart, `pg_terminate_backend`,
/// a failover): postgres-nio 1.33 never answers a query written to a connection that has closed, so
/// the store must notice the closed connection and open another, never wait forever on a pool thread.
final class PostgresConnectionLossTests: StoreBackendTestCase {
    override class var backend: Backend { .postgres }

    /// Each round the server terminates every connection of the store's database, then the store is
    /// used at once (before or while postgres-nio sees the connection close) and again: each call
    /// answers within 10 s, and the one after a termination finds the store working again.
    func testTerminatedConnectionsNeverHangTheStore() async throws {
        let database = try XCTUnwrap(postgres)
        // Not `openStore()`: a store with a hung pool thread would hang the tear-down's close too.
        let store = try await CentralinoStore.open(dataDirectory: directory, postgres: database, poolSize: 2)
        let acme = try await store.createTenant(name: "acme", domain: "acme.test", toneCountry: "it", limits: TenantLimits()).tenant.uuid
        var failures: [String] = []
        for round in 0..<20 {
            _ = try await Self.bounded { try await store.tenants() }  // connections idle in the pool
            let terminated = try await TestPostgres.withAdminConnection(database) { connection in
                try await connection.query(
                    PostgresQuery(
                        unsafeSQL: """
                            SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                            WHERE datname = '\(database.database)' AND pid <> pg_backend_pid()
                            """), logger: Logger(label: "store-tests")
                ).collect().first?.decode(Int.self) ?? 0
            }
            XCTAssertGreaterThan(terminated, 0, "round \(round): the store had a connection")
            // At once: the pool's connection may or may not be seen closed yet; an error is fine, a hang is not.
            do {
                _ = try await Self.bounded { try await store.tenantRecord(acme) }
            } catch is Timeout {
                XCTFail("round \(round): the store hung on a terminated connection")
                return
            } catch {
                failures.append("round \(round): \(error)")
            }
            let again = try await Self.bounded { try await store.tenantRecord(acme) }
            XCTAssertEqual(again.tenant.uuid, acme, "round \(round): the store works again")
            let written = try await Self.bounded { try await store.insertCDRs([]) }
            XCTAssertEqual(written, 0)
        }
        // A termination can land inside the next transaction (the backend exits after pg_terminate_backend returns):
        // a few failures are fair, but a connection that closed while idle is replaced, not reported.
        XCTAssertLessThanOrEqual(failures.count, 2, "a connection closed while idle is replaced: \(failures)")
        try await store.close()
    }

    /// A statement on a connection that closed under the transaction (here the server ends the
    /// session's own backend, and the failure is ignored, as a careless body might) throws at once
    /// instead of waiting forever, and the store then works on a new connection.
    func testAStatementOnAClosedConnectionThrows() async throws {
        let database = try XCTUnwrap(postgres)
        let store = try await CentralinoStore.open(dataDirectory: directory, postgres: database, poolSize: 2)
        do {
            _ = try await Self.bounded {
                try await store.database.read { session in
                    _ = try? session.fetchAll(sql: "SELECT pg_terminate_backend(pg_backend_pid())")
                    Thread.sleep(forTimeInterval: 0.3)  // the client has seen the connection close
                    return try session.fetchOne(Int.self, sql: "SELECT 1")
                }
            }
            XCTFail("a statement on a terminated connection answered")
        } catch is Timeout {
            XCTFail("a statement on a terminated connection hung")
            return
        } catch {
            XCTAssertTrue("\(error)".contains("closed"), "\(error)")
        }
        let tenants = try await Self.bounded { try await store.tenants() }
        XCTAssertEqual(tenants.count, 0, "the store answers again")
        try await store.close()
    }

    struct Timeout: Error {}

    /// `body`'s value, or `Timeout` after `seconds` (the body is left running: it may be hung for good).
    static func bounded<T: Sendable>(seconds: Double = 10, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let outcome = NIOLockedValueBox<CheckedContinuation<T, any Error>?>(nil)
        return try await withCheckedThrowingContinuation { continuation in
            outcome.withLockedValue { $0 = continuation }
            func finish(_ result: Result<T, any Error>) {
                outcome.withLockedValue { pending in
                    pending?.resume(with: result)
                    pending = nil
                }
            }
            Task {
                do { finish(.success(try await body())) } catch { finish(.failure(error)) }
            }
            Task {
                try? await Task.sleep(for: .seconds(seconds))
                finish(.failure(Timeout()))
            }
        }
    }
}
