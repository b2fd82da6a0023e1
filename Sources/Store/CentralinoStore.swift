import Crypto
import Foundation
import PBX

/// Centralino's persistent state: an embedded SQLite file (WAL, foreign keys) under `dataDirectory`,
/// or a PostgreSQL database (`--database`) shared by the nodes of a cluster. Either way the key that
/// seals secrets at rest is the file `secret.key` in `dataDirectory`.
///
/// Several processes may open the same store: `centralino apply` writes while `serve` runs.
/// Every committed change bumps `revision`, which a running server polls to reload what it caches.
public final class CentralinoStore: Sendable {
    public let dataDirectory: URL
    let database: any StoreDatabase
    let secrets: SecretBox
    /// The node that holds the registrations this process writes (`--node-id`).
    public let nodeID: String

    public static let databaseFileName = "centralino.sqlite"
    public static let keyFileName = "secret.key"
    public static let defaultNodeID = "local"

    /// The SQLite store in `dataDirectory`.
    public init(dataDirectory: URL, nodeID: String = CentralinoStore.defaultNodeID) throws {
        self.dataDirectory = dataDirectory
        self.nodeID = nodeID
        try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
        secrets = try SecretBox.loadOrCreate(keyFile: dataDirectory.appendingPathComponent(Self.keyFileName))
        database = try SQLiteDatabase(path: dataDirectory.appendingPathComponent(Self.databaseFileName).path)
    }

    init(dataDirectory: URL, database: any StoreDatabase, nodeID: String) throws {
        self.dataDirectory = dataDirectory
        self.nodeID = nodeID
        try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
        secrets = try SecretBox.loadOrCreate(keyFile: dataDirectory.appendingPathComponent(Self.keyFileName))
        self.database = database
    }

    /// The store in PostgreSQL when `postgres` is given (at most `poolSize` connections; the schema
    /// migrated), else the SQLite store in `dataDirectory`. Checks that the key file opens the
    /// secrets already stored.
    public static func open(
        dataDirectory: URL, postgres: PostgresURL?, poolSize: Int = 4, nodeID: String = CentralinoStore.defaultNodeID
    ) async throws -> CentralinoStore {
        let store: CentralinoStore
        if let postgres {
            let database = try PostgresDatabase(url: postgres, poolSize: poolSize)
            do {
                try await database.migrate()
                store = try CentralinoStore(dataDirectory: dataDirectory, database: database, nodeID: nodeID)
            } catch {
                try? await database.close()
                throw error
            }
        } else {
            store = try CentralinoStore(dataDirectory: dataDirectory, nodeID: nodeID)
        }
        try await store.checkKey()
        return store
    }

    /// Which backend this store is on ("SQLite" or "PostgreSQL").
    public var backendName: String { database.dialect.name }

    /// Closes the database's connections (PostgreSQL) or file (SQLite); the store is not used after.
    public func close() async throws { try await database.close() }

    /// Fails when `secret.key` is not the key the stored secrets were sealed with (a node of a cluster
    /// given another node's database without the cluster's key file).
    func checkKey() async throws {
        let sealed = try await database.read { db in
            try db.fetchOne(Data.self, sql: "SELECT secret_sealed FROM ami_user ORDER BY id LIMIT 1")
                ?? db.fetchOne(Data.self, sql: "SELECT password_sealed FROM trunk WHERE password_sealed IS NOT NULL ORDER BY id LIMIT 1")
        }
        guard let sealed else { return }
        do {
            _ = try secrets.open(sealed)
        } catch {
            throw SecretBox.KeyFileError(
                path: dataDirectory.appendingPathComponent(Self.keyFileName).path,
                reason: "does not open the secrets stored in the \(backendName) database (every node of a cluster needs the same key file)")
        }
    }

    /// Makes sure the tenant named `default` exists (fresh UUID, domain `default`) and returns it.
    @discardableResult
    public func ensureDefaultTenant() async throws -> Tenant {
        try await database.write { db in
            if let row = try db.fetchOne(sql: "SELECT * FROM tenant WHERE name = ?", arguments: [Tenant.defaultName]) {
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
        try await database.read { db in try Self.revision(db) }
    }

    /// Throws when the database cannot be read: the health check.
    public func checkReadable() async throws {
        _ = try await database.read { db in try Self.revision(db) }
    }

    /// Every tenant. The admin panel uses `tenantRecords()`.
    public func tenants() async throws -> [Tenant] {
        try await database.read { db in try db.fetchAll(sql: "SELECT * FROM tenant ORDER BY name").map(Self.tenant) }
    }

    public func extensions(of tenant: UUID) async throws -> [Extension] {
        try await database.read { db in
            try db.fetchAll(
                sql: """
                    SELECT extension.* FROM extension JOIN tenant ON tenant.id = extension.tenant_id
                    WHERE tenant.uuid = ? ORDER BY number
                    """, arguments: [tenant.uuidString.lowercased()]
            )
            .map { try Extension(number: $0["number"], name: $0["name"]) }
        }
    }

    /// Every AMI user with its secret decrypted, for the server's in-memory directory.
    public func amiAccounts() async throws -> [AMIAccount] {
        try await database.read { db in try self.fetchAMIAccounts(db) }
    }

    func fetchAMIAccounts(_ db: any StoreSession) throws -> [AMIAccount] {
        let rows = try db.fetchAll(
            sql: """
                SELECT ami_user.*, tenant.uuid AS tenant_uuid FROM ami_user JOIN tenant ON tenant.id = ami_user.tenant_id
                """)
        return try rows.map { row in
            let permitJSON: String = try row["permit"]
            let permit = try JSONDecoder().decode([String].self, from: Data(permitJSON.utf8))
            let uuidText: String = try row["tenant_uuid"]
            let eventFilterJSON: String = try row["eventfilter"]
            return try AMIAccount(
                tenant: UUID(uuidString: uuidText) ?? UUID(), username: row["username"],
                secret: secrets.open(row["secret_sealed"]), permit: permit,
                read: row["read_classes"], write: row["write_classes"], enabled: row["enabled"],
                eventFilter: JSONDecoder().decode([String].self, from: Data(eventFilterJSON.utf8)))
        }
    }

    static func tenant(_ row: StoreRow) throws -> Tenant {
        let uuidText: String = try row["uuid"]
        guard let uuid = UUID(uuidString: uuidText) else {
            throw ProvisioningError(line: 0, field: "tenant.uuid", message: "stored UUID '\(uuidText)' is invalid")
        }
        return try Tenant(
            uuid: uuid, name: row["name"], domain: row["domain"], toneCountry: row["tone_country"],
            limits: TenantLimitColumns.limits(row))
    }

    static func revision(_ db: any StoreSession) throws -> Int {
        try db.fetchOne(Int.self, sql: "SELECT value FROM meta WHERE key = 'revision'") ?? 0
    }

    static func bumpRevision(_ db: any StoreSession) throws {
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
