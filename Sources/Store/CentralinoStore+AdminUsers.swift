import Foundation
import PBX

/// Administrators of the panel and their API tokens. Password hashing (bcrypt) and token
/// generation happen in the Admin module; the store keeps hashes only.
extension CentralinoStore {
    /// Administrator names: letters, digits, '-', '_' and '.' (the `@domain` is added for tenant administrators).
    public static let adminNameRule = ProvisioningRules.tenantName

    /// Finds the administrator for a login name: `name@domain` for a tenant administrator, a bare name for the system one.
    public func adminUser(login: String) async throws -> AdminUserRecord? {
        try await database.read { db in
            if let at = login.lastIndex(of: "@") {
                let name = String(login[..<at])
                let domain = String(login[login.index(after: at)...])
                return try Self.fetchAdmins(db, where: "admin_user.name = ? AND tenant.domain = ?", [name, domain]).first
            }
            return try Self.fetchAdmins(db, where: "admin_user.name = ? AND admin_user.tenant_id IS NULL", [login]).first
        }
    }

    public func adminUser(id: Int64) async throws -> AdminUserRecord? {
        try await database.read { db in try Self.fetchAdmins(db, where: "admin_user.id = ?", [id]).first }
    }

    /// The system administrators (normally one, named `admin`).
    public func systemAdmins() async throws -> [AdminUserRecord] {
        try await database.read { db in try Self.fetchAdmins(db, where: "admin_user.tenant_id IS NULL", []) }
    }

    public func adminUsers(of tenant: UUID) async throws -> [AdminUserRecord] {
        try await database.read { db in try Self.fetchAdmins(db, where: "tenant.uuid = ?", [tenant.uuidString.lowercased()]) }
    }

    /// Creates an administrator of `tenant` (nil: a system administrator) with a bcrypt hash.
    @discardableResult
    public func createAdminUser(name: String, tenant: UUID?, passwordHash: String) async throws -> AdminUserRecord {
        try AdminStoreError.check(name, Self.adminNameRule, field: "name")
        return try await database.write { db in
            let tenantID = try tenant.map { try Self.tenantID($0, db) }
            if try db.fetchOne(
                Bool.self, sql: "SELECT 1 FROM admin_user WHERE name = ? AND tenant_id IS NOT DISTINCT FROM ?", arguments: [name, tenantID]) != nil
            {
                throw AdminStoreError(.conflict, field: "name", "an administrator named '\(name)' already exists")
            }
            let id = try db.insert(
                sql: "INSERT INTO admin_user (tenant_id, name, password_hash, created_at) VALUES (?, ?, ?, ?)",
                arguments: [tenantID, name, passwordHash, Date().timeIntervalSince1970])
            guard let record = try Self.fetchAdmins(db, where: "admin_user.id = ?", [id]).first else {
                throw AdminStoreError.notFound("administrator")
            }
            return record
        }
    }

    public func setAdminPasswordHash(_ hash: String, id: Int64) async throws {
        try await database.write { db in
            try db.execute(sql: "UPDATE admin_user SET password_hash = ? WHERE id = ?", arguments: [hash, id])
            guard db.changesCount > 0 else { throw AdminStoreError.notFound("administrator") }
        }
    }

    public func deleteAdminUser(id: Int64) async throws {
        try await database.write { db in
            try db.execute(sql: "DELETE FROM admin_user WHERE id = ?", arguments: [id])
            guard db.changesCount > 0 else { throw AdminStoreError.notFound("administrator") }
        }
    }

    /// Stores a new API token (by its SHA-256, lowercase hex) for an administrator.
    @discardableResult
    public func createAPIToken(name: String, sha256: String, adminUserID: Int64) async throws -> APITokenRecord {
        let name = Self.optionalText(name) ?? "token"
        try AdminStoreError.check(name, ProvisioningRules.tokenName, field: "name")
        return try await database.write { db in
            let now = Date().timeIntervalSince1970
            let id = try db.insert(
                sql: "INSERT INTO api_token (admin_user_id, name, token_sha256, created_at) VALUES (?, ?, ?, ?)",
                arguments: [adminUserID, name, sha256, now])
            return APITokenRecord(id: id, name: name, adminUserID: adminUserID, createdAt: now)
        }
    }

    /// The administrator a token (given by its SHA-256) acts as, or nil for an unknown token.
    public func adminUser(tokenSHA256: String) async throws -> AdminUserRecord? {
        try await database.read { db in
            try Self.fetchAdmins(db, where: "admin_user.id = (SELECT admin_user_id FROM api_token WHERE token_sha256 = ?)", [tokenSHA256]).first
        }
    }

    public func apiTokens(adminUserID: Int64) async throws -> [APITokenRecord] {
        try await database.read { db in
            try db.fetchAll(sql: "SELECT * FROM api_token WHERE admin_user_id = ? ORDER BY id", arguments: [adminUserID]).map {
                try APITokenRecord(id: $0["id"], name: $0["name"], adminUserID: $0["admin_user_id"], createdAt: $0["created_at"])
            }
        }
    }

    public func deleteAPIToken(id: Int64, adminUserID: Int64) async throws {
        try await database.write { db in
            try db.execute(sql: "DELETE FROM api_token WHERE id = ? AND admin_user_id = ?", arguments: [id, adminUserID])
            guard db.changesCount > 0 else { throw AdminStoreError.notFound("API token") }
        }
    }

    static func fetchAdmins(_ db: any StoreSession, where condition: String, _ arguments: StoreArguments) throws -> [AdminUserRecord] {
        try db.fetchAll(
            sql: """
                SELECT admin_user.*, tenant.uuid AS tenant_uuid, tenant.domain AS tenant_domain
                FROM admin_user LEFT JOIN tenant ON tenant.id = admin_user.tenant_id
                WHERE \(condition) ORDER BY admin_user.name
                """, arguments: arguments
        ).map { row in
            let uuidText: String? = try row["tenant_uuid"]
            return try AdminUserRecord(
                id: row["id"], name: row["name"], tenant: uuidText.flatMap { UUID(uuidString: $0) },
                tenantDomain: row["tenant_domain"], passwordHash: row["password_hash"])
        }
    }
}
