import Foundation
import PBX

/// Extension CRUD for the admin panel and REST API. The SIP password is kept only as HA1 digests
/// for the tenant's domain (as `apply` does), so it can be set but never shown.
extension CentralinoStore {
    public func extensionRecord(_ number: String, tenant: UUID) async throws -> Extension {
        try await database.read { db in
            let tenantID = try Self.tenantID(tenant, db)
            guard
                let row = try db.fetchOne(
                    sql: "SELECT number, name FROM extension WHERE tenant_id = ? AND number = ?",
                    arguments: [tenantID, number])
            else {
                throw AdminStoreError.notFound("extension", field: "number")
            }
            return try Extension(number: row["number"], name: row["name"])
        }
    }

    /// Creates an extension; its number must be new in the tenant.
    @discardableResult
    public func createExtension(_ number: String, name: String?, password: String, tenant: UUID) async throws -> Extension {
        try AdminStoreError.check(number, ProvisioningRules.extensionNumber, field: "number")
        try AdminStoreError.check(password, ProvisioningRules.secret, field: "password")
        let name = Self.optionalText(name)
        if let name { try AdminStoreError.check(name, ProvisioningRules.displayName, field: "name") }
        return try await database.write { db in
            let record = try Self.tenantRecord(tenant, db)
            let tenantID = try Self.tenantID(tenant, db)
            if try db.fetchOne(Bool.self, sql: "SELECT 1 FROM extension WHERE tenant_id = ? AND number = ?", arguments: [tenantID, number]) != nil {
                throw AdminStoreError(.conflict, field: "number", "extension \(number) already exists in this tenant")
            }
            let ha1 = Self.ha1(user: number, realm: record.tenant.domain, password: password)
            try db.execute(
                sql: "INSERT INTO extension (tenant_id, number, name, ha1_md5, ha1_sha256) VALUES (?, ?, ?, ?, ?)",
                arguments: [tenantID, number, name, ha1.md5, ha1.sha256])
            try Self.bumpRevision(db)
            return Extension(number: number, name: name)
        }
    }

    /// Changes an extension's display name and, when `password` is given, its SIP password.
    @discardableResult
    public func updateExtension(_ number: String, name: String?, password: String?, tenant: UUID) async throws -> Extension {
        let password = Self.optionalText(password)
        if let password { try AdminStoreError.check(password, ProvisioningRules.secret, field: "password") }
        let name = Self.optionalText(name)
        if let name { try AdminStoreError.check(name, ProvisioningRules.displayName, field: "name") }
        return try await database.write { db in
            let record = try Self.tenantRecord(tenant, db)
            let tenantID = try Self.tenantID(tenant, db)
            try db.execute(sql: "UPDATE extension SET name = ? WHERE tenant_id = ? AND number = ?", arguments: [name, tenantID, number])
            guard db.changesCount > 0 else { throw AdminStoreError.notFound("extension", field: "number") }
            if let password {
                let ha1 = Self.ha1(user: number, realm: record.tenant.domain, password: password)
                try db.execute(
                    sql: "UPDATE extension SET ha1_md5 = ?, ha1_sha256 = ? WHERE tenant_id = ? AND number = ?",
                    arguments: [ha1.md5, ha1.sha256, tenantID, number])
            }
            try Self.bumpRevision(db)
            return Extension(number: number, name: name)
        }
    }

    /// Deletes an extension and its registrations.
    public func deleteExtension(_ number: String, tenant: UUID) async throws {
        try await database.write { db in
            let tenantID = try Self.tenantID(tenant, db)
            try db.execute(sql: "DELETE FROM extension WHERE tenant_id = ? AND number = ?", arguments: [tenantID, number])
            guard db.changesCount > 0 else { throw AdminStoreError.notFound("extension", field: "number") }
            try db.execute(sql: "DELETE FROM registration WHERE tenant_id = ? AND extension = ?", arguments: [tenantID, number])
            try Self.bumpRevision(db)
        }
    }

    /// Empty and blank texts count as absent (a form's empty input).
    static func optionalText(_ text: String?) -> String? {
        guard let text, !text.trimmingCharacters(in: .whitespaces).isEmpty else { return nil }
        return text
    }
}
