import Foundation
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
    /// The node that holds the binding (its `--node-id`); set by the store when it reads or writes one.
    public var nodeID: String

    public init(
        tenant: UUID, number: String, bindingKey: String, contact: String, instance: String?, callID: String, cseq: Int,
        expiresAt: Double, source: String, transport: String, userAgent: String?, path: [String] = [],
        nodeID: String = CentralinoStore.defaultNodeID
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
        self.nodeID = nodeID
    }
}

extension CentralinoStore {
    /// Every extension of every tenant with its HA1 digests.
    public func storedExtensions() async throws -> [StoredExtension] {
        try await database.read { db in try Self.fetchStoredExtensions(db) }
    }

    /// The stored bindings this node holds, of every tenant, for the registrar at start-up.
    public func registrations() async throws -> [RegistrationRecord] {
        try await database.read { [nodeID] db in try Self.fetchRegistrations(db, tenant: nil, node: nodeID) }
    }

    /// The stored bindings of one tenant's extensions, held by any node.
    public func registrations(of tenant: UUID) async throws -> [RegistrationRecord] {
        try await database.read { db in try Self.fetchRegistrations(db, tenant: tenant, node: nil) }
    }

    /// Replaces this node's stored bindings of each given address-of-record (tenant, extension) in one
    /// transaction. Other nodes' bindings stay, except one with the same binding key: the newer
    /// registration takes it over (the phone moved to this node).
    public func replaceRegistrations(_ bindingsByAOR: [(tenant: UUID, number: String, bindings: [RegistrationRecord])]) async throws {
        guard !bindingsByAOR.isEmpty else { return }
        try await database.write { [nodeID] db in try Self.replaceRegistrations(bindingsByAOR, node: nodeID, db) }
    }

    static func fetchStoredExtensions(_ db: any StoreSession) throws -> [StoredExtension] {
        try db.fetchAll(
            sql: """
                SELECT extension.number, extension.name, extension.ha1_md5, extension.ha1_sha256,
                       tenant.uuid, tenant.name AS tenant_name, tenant.domain, tenant.tone_country
                FROM extension JOIN tenant ON tenant.id = extension.tenant_id
                """
        ).map { row in
            let uuidText: String = try row["uuid"]
            let tenant = try Tenant(
                uuid: UUID(uuidString: uuidText) ?? UUID(), name: row["tenant_name"], domain: row["domain"],
                toneCountry: row["tone_country"])
            return try StoredExtension(
                tenant: tenant, number: row["number"], name: row["name"],
                ha1MD5: row["ha1_md5"], ha1SHA256: row["ha1_sha256"])
        }
    }

    /// The bindings of `tenant`, or of every tenant when nil.
    static func fetchRegistrations(_ db: any StoreSession, tenant: UUID?, node: String?) throws -> [RegistrationRecord] {
        try db.fetchAll(
            sql: """
                SELECT registration.*, tenant.uuid FROM registration JOIN tenant ON tenant.id = registration.tenant_id
                WHERE (CAST(? AS TEXT) IS NULL OR tenant.uuid = ?) AND (CAST(? AS TEXT) IS NULL OR registration.node_id = ?)
                """, arguments: [tenant?.uuidString.lowercased(), tenant?.uuidString.lowercased(), node, node]
        ).map { row in
            let uuidText: String = try row["uuid"]
            return try RegistrationRecord(
                tenant: UUID(uuidString: uuidText) ?? UUID(), number: row["extension"],
                bindingKey: row["binding_key"], contact: row["contact"], instance: row["instance"],
                callID: row["call_id"], cseq: row["cseq"], expiresAt: row["expires_at"],
                source: row["source"], transport: row["transport"], userAgent: row["user_agent"],
                path: (row["path"] as String? ?? "").split(separator: "\n").map(String.init), nodeID: row["node_id"])
        }
    }

    static func replaceRegistrations(
        _ bindingsByAOR: [(tenant: UUID, number: String, bindings: [RegistrationRecord])], node: String, _ db: any StoreSession
    ) throws {
        for aor in bindingsByAOR {
            guard
                let tenantID = try db.fetchOne(
                    Int64.self, sql: "SELECT id FROM tenant WHERE uuid = ?",
                    arguments: [aor.tenant.uuidString.lowercased()])
            else { continue }
            try db.execute(
                sql: "DELETE FROM registration WHERE tenant_id = ? AND extension = ? AND node_id = ?", arguments: [tenantID, aor.number, node])
            for binding in aor.bindings {
                try db.execute(
                    sql: """
                        INSERT INTO registration (tenant_id, extension, binding_key, contact, instance, call_id, cseq, expires_at, source, transport, user_agent, path, node_id)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        ON CONFLICT (tenant_id, extension, binding_key) DO UPDATE SET contact = excluded.contact,
                            instance = excluded.instance, call_id = excluded.call_id, cseq = excluded.cseq,
                            expires_at = excluded.expires_at, source = excluded.source, transport = excluded.transport,
                            user_agent = excluded.user_agent, path = excluded.path, node_id = excluded.node_id
                        """,
                    arguments: [
                        tenantID, aor.number, binding.bindingKey, binding.contact, binding.instance, binding.callID,
                        binding.cseq, binding.expiresAt, binding.source, binding.transport, binding.userAgent,
                        binding.path.joined(separator: "\n"), node,
                    ])
            }
        }
    }
}
