import AMI
import Foundation
import PBX

/// AMI users of one tenant for the admin panel's AMI settings page and the REST API.
///
/// ACL entries are checked with `AMIAccessRule`, names and secrets with `ProvisioningRules`,
/// exactly as `centralino apply` checks them. Each change bumps the revision, so a running
/// server applies it to the next login.
extension CentralinoStore {
    public func amiUsers(of tenant: UUID) async throws -> [AMIUserRecord] {
        try await database.read { db in
            let tenantID = try Self.tenantID(tenant, db)
            return try db.fetchAll(sql: "SELECT * FROM ami_user WHERE tenant_id = ? ORDER BY id", arguments: [tenantID])
                .map(Self.amiUserRecord)
        }
    }

    /// Every AMI account as a login must see it: a user is enabled only when it and its tenant's
    /// AMI service are both enabled. The server's directory should load this instead of `amiAccounts()`.
    public func activeAMIAccounts() async throws -> [AMIAccount] {
        try await database.read { db in try self.fetchActiveAMIAccounts(db) }
    }

    func fetchActiveAMIAccounts(_ db: any StoreSession) throws -> [AMIAccount] {
        let disabledTenants = Set(
            try db.fetchAll(String.self, sql: "SELECT uuid FROM tenant WHERE ami_enabled = 0").compactMap { UUID(uuidString: $0) })
        return try fetchAMIAccounts(db).map { account in
            var account = account
            account.enabled = account.enabled && !disabledTenants.contains(account.tenant)
            return account
        }
    }

    /// Creates an AMI user with the panel's fixed classes and no permitted network yet.
    @discardableResult
    public func createAMIUser(_ username: String, password: String, tenant: UUID) async throws -> AMIUserRecord {
        try AdminStoreError.check(username, ProvisioningRules.amiUsername, field: "username")
        try AdminStoreError.check(password, ProvisioningRules.secret, field: "password")
        let sealed = try secrets.seal(password)
        return try await database.write { db in
            let tenantID = try Self.tenantID(tenant, db)
            try Self.checkAMIUsernameFree(username, except: nil, db)
            try db.execute(
                sql: """
                    INSERT INTO ami_user (tenant_id, username, secret_sealed, permit, read_classes, write_classes) VALUES (?, ?, ?, '[]', ?, ?)
                    """, arguments: [tenantID, username, sealed, AMIUserRecord.panelRead, AMIUserRecord.panelWrite])
            try Self.bumpRevision(db)
            return AMIUserRecord(username: username, permit: [], read: AMIUserRecord.panelRead, write: AMIUserRecord.panelWrite, enabled: true)
        }
    }

    public func renameAMIUser(_ username: String, to newName: String, tenant: UUID) async throws {
        try AdminStoreError.check(newName, ProvisioningRules.amiUsername, field: "username")
        try await updateAMIUser(username, tenant: tenant) { db, id in
            try Self.checkAMIUsernameFree(newName, except: id, db)
            try db.execute(sql: "UPDATE ami_user SET username = ? WHERE id = ?", arguments: [newName, id])
        }
    }

    public func setAMIPassword(_ password: String, username: String, tenant: UUID) async throws {
        try AdminStoreError.check(password, ProvisioningRules.secret, field: "password")
        let sealed = try secrets.seal(password)
        try await updateAMIUser(username, tenant: tenant) { db, id in
            try db.execute(sql: "UPDATE ami_user SET secret_sealed = ? WHERE id = ?", arguments: [sealed, id])
        }
    }

    public func setAMIUserEnabled(_ enabled: Bool, username: String, tenant: UUID) async throws {
        try await updateAMIUser(username, tenant: tenant) { db, id in
            try db.execute(sql: "UPDATE ami_user SET enabled = ? WHERE id = ?", arguments: [enabled, id])
        }
    }

    /// Adds a permitted network; a bad entry is refused with the parser's explanation.
    public func addAMIPermit(_ entry: String, username: String, tenant: UUID) async throws {
        if let problem = ProvisioningRules.permitProblem(entry) { throw AdminStoreError(.invalid, field: "permit", problem) }
        let rule: AMIAccessRule
        do { rule = try AMIAccessRule(parsing: entry) } catch let error as AMIAccessRule.ParseError {
            throw AdminStoreError(.invalid, field: "permit", error.description)
        }
        try await updateAMIUser(username, tenant: tenant) { db, id in
            var permit = try Self.permit(id, db)
            guard !permit.contains(rule.text) else {
                throw AdminStoreError(.conflict, field: "permit", "'\(rule.text)' is already in the list")
            }
            permit.append(rule.text)
            try Self.setPermit(permit, id: id, db)
        }
    }

    /// Replaces the user's event filters (applied from its next login); a bad line is refused with the reason.
    public func setAMIEventFilter(_ lines: [String], username: String, tenant: UUID) async throws {
        if let problem = ProvisioningRules.eventFilterProblem(lines) { throw AdminStoreError(.invalid, field: "eventfilter", problem) }
        try await updateAMIUser(username, tenant: tenant) { db, id in
            let json = String(decoding: try JSONEncoder().encode(lines), as: UTF8.self)
            try db.execute(sql: "UPDATE ami_user SET eventfilter = ? WHERE id = ?", arguments: [json, id])
        }
    }

    public func removeAMIPermit(_ entry: String, username: String, tenant: UUID) async throws {
        try await updateAMIUser(username, tenant: tenant) { db, id in
            var permit = try Self.permit(id, db)
            guard let index = permit.firstIndex(of: entry) else { throw AdminStoreError.notFound("ACL entry", field: "permit") }
            permit.remove(at: index)
            try Self.setPermit(permit, id: id, db)
        }
    }

    public func deleteAMIUser(_ username: String, tenant: UUID) async throws {
        try await updateAMIUser(username, tenant: tenant) { db, id in
            try db.execute(sql: "DELETE FROM ami_user WHERE id = ?", arguments: [id])
        }
    }

    private func updateAMIUser(_ username: String, tenant: UUID, _ change: @escaping @Sendable (any StoreSession, Int64) throws -> Void) async throws
    {
        try await database.write { db in
            let tenantID = try Self.tenantID(tenant, db)
            guard
                let id = try db.fetchOne(
                    Int64.self, sql: "SELECT id FROM ami_user WHERE tenant_id = ? AND username = ?",
                    arguments: [tenantID, username])
            else {
                throw AdminStoreError.notFound("AMI user", field: "username")
            }
            try change(db, id)
            try Self.bumpRevision(db)
        }
    }

    static func checkAMIUsernameFree(_ username: String, except id: Int64?, _ db: any StoreSession) throws {
        if try db.fetchOne(Bool.self, sql: "SELECT 1 FROM ami_user WHERE username = ? AND id IS DISTINCT FROM ?", arguments: [username, id]) != nil {
            throw AdminStoreError(.conflict, field: "username", "AMI username '\(username)' is taken; AMI usernames are unique across the system")
        }
    }

    static func permit(_ id: Int64, _ db: any StoreSession) throws -> [String] {
        let json = try db.fetchOne(String.self, sql: "SELECT permit FROM ami_user WHERE id = ?", arguments: [id]) ?? "[]"
        return try JSONDecoder().decode([String].self, from: Data(json.utf8))
    }

    static func setPermit(_ permit: [String], id: Int64, _ db: any StoreSession) throws {
        let json = String(decoding: try JSONEncoder().encode(permit), as: UTF8.self)
        try db.execute(sql: "UPDATE ami_user SET permit = ? WHERE id = ?", arguments: [json, id])
    }

    static func amiUserRecord(_ row: StoreRow) throws -> AMIUserRecord {
        let json: String = try row["permit"]
        let permit = try JSONDecoder().decode([String].self, from: Data(json.utf8))
        let eventFilterJSON: String = try row["eventfilter"]
        return try AMIUserRecord(
            username: row["username"], permit: permit, read: row["read_classes"], write: row["write_classes"], enabled: row["enabled"],
            eventFilter: JSONDecoder().decode([String].self, from: Data(eventFilterJSON.utf8)))
    }
}
