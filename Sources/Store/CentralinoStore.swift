import Crypto
import Foundation
import GRDB
import PBX

/// Centralino's persistent state in an embedded SQLite file (WAL, foreign keys), under `dataDirectory`.
///
/// Several processes may open the same directory: `centralino apply` writes while `serve` runs.
/// Every committed change bumps `revision`, which a running server polls to reload what it caches.
public final class CentralinoStore: Sendable {
    public let dataDirectory: URL
    let pool: DatabasePool
    let secrets: SecretBox

    public static let databaseFileName = "centralino.sqlite"
    public static let keyFileName = "secret.key"

    public init(dataDirectory: URL) throws {
        self.dataDirectory = dataDirectory
        try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
        secrets = try SecretBox.loadOrCreate(keyFile: dataDirectory.appendingPathComponent(Self.keyFileName))
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(10)
        pool = try DatabasePool(path: dataDirectory.appendingPathComponent(Self.databaseFileName).path, configuration: configuration)
        try StoreSchema.migrator.migrate(pool)
    }

    /// Makes sure the tenant named `default` exists (fresh UUID, domain `default`) and returns it.
    @discardableResult
    public func ensureDefaultTenant() async throws -> Tenant {
        try await pool.write { db in
            if let row = try Row.fetchOne(db, sql: "SELECT * FROM tenant WHERE name = ?", arguments: [Tenant.defaultName]) {
                return try Self.tenant(row)
            }
            let tenant = Tenant(uuid: UUID(), name: Tenant.defaultName, domain: Tenant.defaultName)
            try db.execute(
                sql: "INSERT INTO tenant (uuid, name, domain, tone_country) VALUES (?, ?, ?, ?)",
                arguments: [tenant.uuid.uuidString.lowercased(), tenant.name, tenant.domain, tenant.toneCountry])
            try Self.bumpRevision(db)
            return tenant
        }
    }

    /// A number that changes whenever any process commits a change.
    public func revision() async throws -> Int {
        try await pool.read { db in try Self.revision(db) }
    }

    /// Throws when the database cannot be read: the health check.
    public func checkReadable() async throws {
        _ = try await pool.read { db in try Self.revision(db) }
    }

    /// Every tenant. The admin panel uses `tenantRecords()`.
    public func tenants() async throws -> [Tenant] {
        try await pool.read { db in try Row.fetchAll(db, sql: "SELECT * FROM tenant ORDER BY name").map(Self.tenant) }
    }

    public func extensions(of tenant: UUID) async throws -> [Extension] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT extension.* FROM extension JOIN tenant ON tenant.id = extension.tenant_id
                    WHERE tenant.uuid = ? ORDER BY number
                    """, arguments: [tenant.uuidString.lowercased()]
            )
            .map { Extension(number: $0["number"], name: $0["name"]) }
        }
    }

    /// Every AMI user with its secret decrypted, for the server's in-memory directory.
    public func amiAccounts() async throws -> [AMIAccount] {
        try await pool.read { db in try self.fetchAMIAccounts(db) }
    }

    func fetchAMIAccounts(_ db: Database) throws -> [AMIAccount] {
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT ami_user.*, tenant.uuid AS tenant_uuid FROM ami_user JOIN tenant ON tenant.id = ami_user.tenant_id
                """)
        return try rows.map { row in
            let permitJSON: String = row["permit"]
            let permit = try JSONDecoder().decode([String].self, from: Data(permitJSON.utf8))
            let uuidText: String = row["tenant_uuid"]
            let eventFilterJSON: String = row["eventfilter"]
            return AMIAccount(
                tenant: UUID(uuidString: uuidText) ?? UUID(), username: row["username"],
                secret: try secrets.open(row["secret_sealed"]), permit: permit,
                read: row["read_classes"], write: row["write_classes"], enabled: row["enabled"],
                eventFilter: try JSONDecoder().decode([String].self, from: Data(eventFilterJSON.utf8)))
        }
    }

    static func tenant(_ row: Row) throws -> Tenant {
        let uuidText: String = row["uuid"]
        guard let uuid = UUID(uuidString: uuidText) else {
            throw ProvisioningError(line: 0, field: "tenant.uuid", message: "stored UUID '\(uuidText)' is invalid")
        }
        return Tenant(
            uuid: uuid, name: row["name"], domain: row["domain"], toneCountry: row["tone_country"],
            limits: TenantLimitColumns.limits(row))
    }

    static func revision(_ db: Database) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'revision'") ?? 0
    }

    static func bumpRevision(_ db: Database) throws {
        try db.execute(sql: "UPDATE meta SET value = value + 1 WHERE key = 'revision'")
    }

    /// HA1 digests of a SIP password for `realm` (RFC 7616): MD5 and SHA-256, lowercase hex.
    static func ha1(user: String, realm: String, password: String) -> (md5: String, sha256: String) {
        let input = Data("\(user):\(realm):\(password)".utf8)
        return (Insecure.MD5.hash(data: input).hexString, SHA256.hash(data: input).hexString)
    }
}

extension Sequence where Element == UInt8 {
    var hexString: String { map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined() }
}
