import Admin
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import PBX
import Store
import Testing

/// A store with two tenants (`acme`, `beta`), a system administrator, a tenant administrator of
/// acme, API tokens for both, a fake live status, and the admin router under test.
struct AdminTestHarness {
    static let systemPassword = "system-pass-1"
    static let alicePassword = "alice-pass-1"

    let store: CentralinoStore
    let live = FakeLiveStatus()
    let metrics = CentralinoMetrics()
    let acme: TenantRecord
    let beta: TenantRecord
    let systemToken = "cntl_system_token_for_tests"
    let aliceToken = "cntl_alice_token_for_tests"
    var configuration = AdminConfiguration()

    init() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("admin-tests-\(UUID().uuidString)")
        store = try CentralinoStore(dataDirectory: directory)
        try await store.ensureDefaultTenant()
        acme = try await store.createTenant(name: "acme", domain: "acme.test", toneCountry: "it")
        beta = try await store.createTenant(name: "beta", domain: "beta.test", toneCountry: "it")
        configuration.bcryptCost = 4
        configuration.secureCookies = .automatic
        let credentials = try await AdminBootstrap.ensureSystemAdmin(store: store, password: Self.systemPassword, bcryptCost: 4)
        #expect(credentials?.generated == false)
        let system = try #require(try await store.adminUser(login: "admin"))
        let alice = try await store.createAdminUser(name: "alice", tenant: acme.tenant.uuid, passwordHash: try Self.hash(Self.alicePassword))
        try await store.createAPIToken(name: "sys", sha256: Self.sha(systemToken), adminUserID: system.id)
        try await store.createAPIToken(name: "alice", sha256: Self.sha(aliceToken), adminUserID: alice.id)
    }

    static var quietLogger: Logger {
        var logger = Logger(label: "admin-test")
        logger.logLevel = .warning
        return logger
    }

    static func hash(_ password: String) throws -> String {
        // Reuse the bootstrap's hashing through a throwaway store-free path: create via AdminBootstrap is system-only,
        // so hash with the same bcrypt the app uses.
        TestBcrypt.hash(password)
    }

    static func sha(_ token: String) -> String { TestBcrypt.sha256Hex(token) }

    func application() -> some ApplicationProtocol {
        let router = AdminRouter.build(store: store, live: live, configuration: configuration, metrics: metrics, logger: Self.quietLogger)
        return Application(router: router, logger: Self.quietLogger)
    }

    var acmePath: String { "/tenants/\(acme.tenant.uuid.uuidString.lowercased())" }
    var betaPath: String { "/tenants/\(beta.tenant.uuid.uuidString.lowercased())" }
}
