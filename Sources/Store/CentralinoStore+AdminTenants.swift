import Foundation
import PBX

/// A tenant as the admin panel shows it: the domain model plus the AMI service switch.
public struct TenantRecord: Sendable, Hashable {
    public var tenant: Tenant
    /// False when the tenant's AMI service is switched off: none of its AMI users may log in.
    public var amiEnabled: Bool

    public init(tenant: Tenant, amiEnabled: Bool) {
        self.tenant = tenant
        self.amiEnabled = amiEnabled
    }
}

/// Tenant CRUD for the admin panel and REST API. Values are checked with `ProvisioningRules`,
/// as `centralino apply` checks them; every change bumps the revision so a running server reloads.
extension CentralinoStore {
    public func tenantRecords() async throws -> [TenantRecord] {
        try await database.read { db in try db.fetchAll(sql: "SELECT * FROM tenant ORDER BY name").map(Self.tenantRecord) }
    }

    public func tenantRecord(_ uuid: UUID) async throws -> TenantRecord {
        try await database.read { db in try Self.tenantRecord(uuid, db) }
    }

    /// Creates a tenant with a fresh UUID. The domain defaults to the name, as in provisioning files;
    /// limits left nil are the node's defaults.
    @discardableResult
    public func createTenant(name: String, domain: String?, toneCountry: String?, limits: TenantLimits = TenantLimits()) async throws -> TenantRecord
    {
        let domain = domain.flatMap { $0.isEmpty ? nil : $0 } ?? name
        let tone = toneCountry.flatMap { $0.isEmpty ? nil : $0 } ?? "it"
        try Self.validateTenant(name: name, domain: domain, toneCountry: tone)
        try TenantLimitColumns.validate(limits)
        return try await database.write { db in
            try Self.checkTenantClash(name: name, domain: domain, except: nil, db)
            let tenant = Tenant(uuid: UUID(), name: name, domain: domain, toneCountry: tone, limits: limits)
            let id = try db.insert(
                sql: "INSERT INTO tenant (uuid, name, domain, tone_country) VALUES (?, ?, ?, ?)",
                arguments: [tenant.uuid.uuidString.lowercased(), name, domain, tone])
            try TenantLimitColumns.write(limits, tenantID: id, db)
            try Self.bumpRevision(db)
            return TenantRecord(tenant: tenant, amiEnabled: true)
        }
    }

    /// Renames a tenant or changes its domain, tone country or limits (nil `limits` keeps them);
    /// its UUID never changes.
    @discardableResult
    public func updateTenant(
        _ uuid: UUID, name: String, domain: String, toneCountry: String, limits: TenantLimits? = nil
    ) async throws -> TenantRecord {
        try Self.validateTenant(name: name, domain: domain, toneCountry: toneCountry)
        if let limits { try TenantLimitColumns.validate(limits) }
        return try await database.write { db in
            let current = try Self.tenantRecord(uuid, db)
            if current.tenant.name == Tenant.defaultName, name != Tenant.defaultName {
                throw AdminStoreError(.invalid, field: "name", "the tenant named 'default' cannot be renamed")
            }
            let id = try Self.tenantID(uuid, db)
            try Self.checkTenantClash(name: name, domain: domain, except: id, db)
            try db.execute(
                sql: "UPDATE tenant SET name = ?, domain = ?, tone_country = ? WHERE id = ?",
                arguments: [name, domain, toneCountry, id])
            if let limits { try TenantLimitColumns.write(limits, tenantID: id, db) }
            try Self.bumpRevision(db)
            return try Self.tenantRecord(uuid, db)
        }
    }

    /// Deletes a tenant with everything it owns. The `default` tenant cannot be deleted.
    public func deleteTenant(_ uuid: UUID) async throws {
        try await database.write { db in
            let current = try Self.tenantRecord(uuid, db)
            guard current.tenant.name != Tenant.defaultName else {
                throw AdminStoreError(.invalid, field: "id", "the tenant named 'default' cannot be deleted")
            }
            try db.execute(sql: "DELETE FROM tenant WHERE uuid = ?", arguments: [uuid.uuidString.lowercased()])
            try Self.bumpRevision(db)
        }
    }

    /// Switches the tenant's AMI service on or off.
    public func setAMIEnabled(_ enabled: Bool, tenant uuid: UUID) async throws {
        try await database.write { db in
            let id = try Self.tenantID(uuid, db)
            try db.execute(sql: "UPDATE tenant SET ami_enabled = ? WHERE id = ?", arguments: [enabled, id])
            try Self.bumpRevision(db)
        }
    }

    static func validateTenant(name: String, domain: String, toneCountry: String) throws {
        try AdminStoreError.check(name, ProvisioningRules.tenantName, field: "name")
        try AdminStoreError.check(domain, ProvisioningRules.domain, field: "domain")
        try AdminStoreError.check(toneCountry, ProvisioningRules.toneCountry, field: "tone_country")
    }

    static func checkTenantClash(name: String, domain: String, except id: Int64?, _ db: any StoreSession) throws {
        if try db.fetchOne(Bool.self, sql: "SELECT 1 FROM tenant WHERE name = ? AND id IS DISTINCT FROM ?", arguments: [name, id]) != nil {
            throw AdminStoreError(.conflict, field: "name", "a tenant named '\(name)' already exists")
        }
        if let owner = try db.fetchOne(
            String.self, sql: "SELECT name FROM tenant WHERE domain = ? AND id IS DISTINCT FROM ?", arguments: [domain, id])
        {
            throw AdminStoreError(.conflict, field: "domain", "domain '\(domain)' already belongs to tenant '\(owner)'")
        }
    }

    static func tenantID(_ uuid: UUID, _ db: any StoreSession) throws -> Int64 {
        guard let id = try db.fetchOne(Int64.self, sql: "SELECT id FROM tenant WHERE uuid = ?", arguments: [uuid.uuidString.lowercased()]) else {
            throw AdminStoreError.notFound("tenant")
        }
        return id
    }

    static func tenantRecord(_ uuid: UUID, _ db: any StoreSession) throws -> TenantRecord {
        guard let row = try db.fetchOne(sql: "SELECT * FROM tenant WHERE uuid = ?", arguments: [uuid.uuidString.lowercased()]) else {
            throw AdminStoreError.notFound("tenant")
        }
        return try tenantRecord(row)
    }

    static func tenantRecord(_ row: StoreRow) throws -> TenantRecord {
        try TenantRecord(tenant: tenant(row), amiEnabled: row["ami_enabled"])
    }
}
