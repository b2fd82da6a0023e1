import Foundation
import GRDB
import PBX

/// An extension with what the registrar needs to check a digest: the HA1 digests for its tenant's realm.
public struct StoredExtension: Sendable, Hashable {
    public var tenant: Tenant
    public var number: String
    public var name: String?
    public var ha1MD5: String
    public var ha1SHA256: String
}

/// One persisted registration binding (a contact of an extension), so bindings survive a restart.
public struct RegistrationRecord: Sendable, Hashable {
    public var tenant: UUID
    /// The extension number (the user part of the address-of-record).
    public var number: String
    /// What identifies the binding within the extension: `+sip.instance` when present, else the contact URI.
    public var bindingKey: String
    public var contact: String
    public var instance: String?
    public var callID: String
    public var cseq: Int
    /// Seconds since the epoch.
    public var expiresAt: Double
    /// `ip:port` the REGISTER came from (where requests to this contact are sent).
    public var source: String
    public var transport: String
    public var userAgent: String?
    /// The REGISTER's Path entries (RFC 3327), top first; empty when it came without an edge proxy.
    public var path: [String]

    public init(
        tenant: UUID, number: String, bindingKey: String, contact: String, instance: String?, callID: String, cseq: Int,
        expiresAt: Double, source: String, transport: String, userAgent: String?, path: [String] = []
    ) {
        self.tenant = tenant
        self.number = number
        self.bindingKey = bindingKey
        self.contact = contact
        self.instance = instance
        self.callID = callID
        self.cseq = cseq
        self.expiresAt = expiresAt
        self.source = source
        self.transport = transport
        self.userAgent = userAgent
        self.path = path
    }
}

extension CentralinoStore {
    /// Every extension of every tenant with its HA1 digests.
    public func storedExtensions() async throws -> [StoredExtension] {
        try await pool.read { db in try Self.fetchStoredExtensions(db) }
    }

    /// Every stored binding of every tenant, for the registrar at start-up.
    public func registrations() async throws -> [RegistrationRecord] {
        try await pool.read { db in try Self.fetchRegistrations(db, tenant: nil) }
    }

    /// The stored bindings of one tenant's extensions.
    public func registrations(of tenant: UUID) async throws -> [RegistrationRecord] {
        try await pool.read { db in try Self.fetchRegistrations(db, tenant: tenant) }
    }

    /// Replaces the stored bindings of each given address-of-record (tenant, extension) in one transaction.
    public func replaceRegistrations(_ bindingsByAOR: [(tenant: UUID, number: String, bindings: [RegistrationRecord])]) async throws {
        guard !bindingsByAOR.isEmpty else { return }
        try await pool.write { db in try Self.replaceRegistrations(bindingsByAOR, db) }
    }

    static func fetchStoredExtensions(_ db: Database) throws -> [StoredExtension] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT extension.number, extension.name, extension.ha1_md5, extension.ha1_sha256,
                       tenant.uuid, tenant.name AS tenant_name, tenant.domain, tenant.tone_country
                FROM extension JOIN tenant ON tenant.id = extension.tenant_id
                """
        ).map { row in
            let uuidText: String = row["uuid"]
            let tenant = Tenant(
                uuid: UUID(uuidString: uuidText) ?? UUID(), name: row["tenant_name"], domain: row["domain"],
                toneCountry: row["tone_country"])
            return StoredExtension(
                tenant: tenant, number: row["number"], name: row["name"],
                ha1MD5: row["ha1_md5"], ha1SHA256: row["ha1_sha256"])
        }
    }

    /// The bindings of `tenant`, or of every tenant when nil.
    static func fetchRegistrations(_ db: Database, tenant: UUID?) throws -> [RegistrationRecord] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT registration.*, tenant.uuid FROM registration JOIN tenant ON tenant.id = registration.tenant_id
                WHERE ? IS NULL OR tenant.uuid = ?
                """, arguments: [tenant?.uuidString.lowercased(), tenant?.uuidString.lowercased()]
        ).map { row in
            let uuidText: String = row["uuid"]
            return RegistrationRecord(
                tenant: UUID(uuidString: uuidText) ?? UUID(), number: row["extension"],
                bindingKey: row["binding_key"], contact: row["contact"], instance: row["instance"],
                callID: row["call_id"], cseq: row["cseq"], expiresAt: row["expires_at"],
                source: row["source"], transport: row["transport"], userAgent: row["user_agent"],
                path: (row["path"] as String? ?? "").split(separator: "\n").map(String.init))
        }
    }

    static func replaceRegistrations(_ bindingsByAOR: [(tenant: UUID, number: String, bindings: [RegistrationRecord])], _ db: Database) throws {
        for aor in bindingsByAOR {
            guard
                let tenantID = try Int64.fetchOne(
                    db, sql: "SELECT id FROM tenant WHERE uuid = ?",
                    arguments: [aor.tenant.uuidString.lowercased()])
            else { continue }
            try db.execute(sql: "DELETE FROM registration WHERE tenant_id = ? AND extension = ?", arguments: [tenantID, aor.number])
            for binding in aor.bindings {
                try db.execute(
                    sql: """
                        INSERT INTO registration (tenant_id, extension, binding_key, contact, instance, call_id, cseq, expires_at, source, transport, user_agent, path)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        tenantID, aor.number, binding.bindingKey, binding.contact, binding.instance, binding.callID,
                        binding.cseq, binding.expiresAt, binding.source, binding.transport, binding.userAgent,
                        binding.path.joined(separator: "\n"),
                    ])
            }
        }
    }
}
