import Foundation
import Logging
import PostgresNIO
import Store
import XCTest

/// A test case that runs on one store backend: SQLite in a temporary data directory, or PostgreSQL
/// (a fresh database per test on the server of CENTRALINO_TEST_POSTGRES_URL, with the same temporary
/// data directory for the key file). Every store test class has a subclass `...OnPostgres` that runs
/// all its tests again on PostgreSQL; without the variable those fail (scripts/test.sh starts a
/// private server with tests/common/pgserver.py and sets it).
class StoreBackendTestCase: XCTestCase {
    enum Backend { case sqlite, postgres }
    class var backend: Backend { .sqlite }

    static let postgresVariable = "CENTRALINO_TEST_POSTGRES_URL"

    var directory: URL!
    var postgres: PostgresURL?
    private var opened: [CentralinoStore] = []

    override func setUp() async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("centralino-store-\(UUID().uuidString)")
        if Self.backend == .postgres {
            guard let text = ProcessInfo.processInfo.environment[Self.postgresVariable], !text.isEmpty else {
                XCTFail(
                    "\(Self.postgresVariable) is not set: the PostgreSQL variants need a server "
                        + "(python3 tests/common/pgserver.py start DIR prints a URL for it; scripts/test.sh does this)")
                throw StoreTestSetupError()
            }
            postgres = try await TestPostgres.createDatabase(on: try PostgresURL(parsing: text))
        }
    }

    override func tearDown() async throws {
        for store in opened { try? await store.close() }
        opened = []
        if let postgres { try? await TestPostgres.dropDatabase(postgres) }
        try? FileManager.default.removeItem(at: directory)
    }

    /// The test's store; opening it again reaches the same data.
    func openStore(nodeID: String = CentralinoStore.defaultNodeID) async throws -> CentralinoStore {
        let store = try await CentralinoStore.open(dataDirectory: directory, postgres: postgres, poolSize: 2, nodeID: nodeID)
        opened.append(store)
        return store
    }
}

struct StoreTestSetupError: Error {}

/// Databases made and dropped for the tests, over a connection to the server's `postgres` database.
enum TestPostgres {
    static func withAdminConnection<T>(_ server: PostgresURL, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        let configuration = PostgresConnection.Configuration(
            host: server.host, port: server.port, username: server.user, password: server.password, database: "postgres", tls: .disable)
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: Logger(label: "store-tests"))
        do {
            let value = try await body(connection)
            try await connection.close()
            return value
        } catch {
            try? await connection.close()
            throw error
        }
    }

    static func createDatabase(on server: PostgresURL) async throws -> PostgresURL {
        let name = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        try await withAdminConnection(server) { connection in
            _ = try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: Logger(label: "store-tests"))
        }
        return PostgresURL(host: server.host, port: server.port, user: server.user, password: server.password, database: String(name))
    }

    static func dropDatabase(_ database: PostgresURL) async throws {
        try await withAdminConnection(database) { connection in
            _ = try await connection.query(
                PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(database.database) WITH (FORCE)"), logger: Logger(label: "store-tests"))
        }
    }
}
