import Foundation
import PBX

/// What `apply` changed, for the command's report.
public struct ApplySummary: Sendable, Equatable {
    public var tenants = 0
    public var extensions = 0
    public var trunks = 0
    public var outboundRoutes = 0
    public var amiUsers = 0
}

extension CentralinoStore {
    /// Upserts everything the document declares in one transaction: either all of it lands or none.
    /// Tenants are matched by UUID when given, else by name; their items by number, name, prefix
    /// or username. Nothing absent from the file is deleted.
    @discardableResult
    public func apply(_ document: ProvisioningDocument) async throws -> ApplySummary {
        try await database.write { db in
            var summary = ApplySummary()
            for spec in document.tenants {
                let tenantID = try self.upsertTenant(spec, db)
                // A `limits` mapping sets all four (absent keys = the node's default); none keeps the stored ones.
                if let limits = spec.limits { try TenantLimitColumns.write(limits, tenantID: tenantID, db) }
                summary.tenants += 1
                for ext in spec.extensions {
                    let ha1 = Self.ha1(user: ext.number, realm: spec.domain, password: ext.password)
                    try db.execute(
                        sql: """
                            INSERT INTO extension (tenant_id, number, name, ha1_md5, ha1_sha256) VALUES (?, ?, ?, ?, ?)
                            ON CONFLICT (tenant_id, number) DO UPDATE SET name = excluded.name, ha1_md5 = excluded.ha1_md5, ha1_sha256 = excluded.ha1_sha256
                            """, arguments: [tenantID, ext.number, ext.name, ha1.md5, ha1.sha256])
                    summary.extensions += 1
                }
                for spec in spec.trunks {
                    let sealed = try spec.password.map { try self.secrets.seal($0) }
                    let trunk = spec.trunk
                    try db.execute(
                        sql: """
                            INSERT INTO trunk (tenant_id, name, host, port, transport, username, password_sealed, rtp_timeout) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                            ON CONFLICT (tenant_id, name) DO UPDATE SET host = excluded.host, port = excluded.port,
                                transport = excluded.transport, username = excluded.username, password_sealed = excluded.password_sealed,
                                rtp_timeout = excluded.rtp_timeout
                            """,
                        arguments: [tenantID, trunk.name, trunk.host, trunk.port, trunk.transport.rawValue, trunk.username, sealed, trunk.rtpTimeout])
                    summary.trunks += 1
                }
                for spec in spec.outboundRoutes {
                    guard
                        let trunkID = try db.fetchOne(
                            Int64.self, sql: "SELECT id FROM trunk WHERE tenant_id = ? AND name = ?",
                            arguments: [tenantID, spec.route.trunk])
                    else {
                        throw ProvisioningError(line: spec.line, field: "trunk", message: "no trunk named '\(spec.route.trunk)' in this tenant")
                    }
                    try db.execute(
                        sql: """
                            INSERT INTO outbound_route (tenant_id, prefix, trunk_id, strip) VALUES (?, ?, ?, ?)
                            ON CONFLICT (tenant_id, prefix) DO UPDATE SET trunk_id = excluded.trunk_id, strip = excluded.strip
                            """, arguments: [tenantID, spec.route.prefix, trunkID, spec.route.strip])
                    summary.outboundRoutes += 1
                }
                for user in spec.amiUsers {
                    if let owner = try db.fetchOne(
                        String.self,
                        sql: """
                            SELECT tenant.name FROM ami_user JOIN tenant ON tenant.id = ami_user.tenant_id
                            WHERE ami_user.username = ? AND ami_user.tenant_id != ?
                            """, arguments: [user.username, tenantID])
                    {
                        throw ProvisioningError(
                            line: user.line, field: "username",
                            message:
                                "AMI username '\(user.username)' of tenant '\(spec.name)' is already used by tenant '\(owner)'; AMI usernames are unique across the system"
                        )
                    }
                    let permit = String(decoding: try JSONEncoder().encode(user.permit), as: UTF8.self)
                    let eventFilter = String(decoding: try JSONEncoder().encode(user.eventFilter), as: UTF8.self)
                    try db.execute(
                        sql: """
                            INSERT INTO ami_user (tenant_id, username, secret_sealed, permit, read_classes, write_classes, eventfilter)
                            VALUES (?, ?, ?, ?, ?, ?, ?)
                            ON CONFLICT (username) DO UPDATE SET secret_sealed = excluded.secret_sealed, permit = excluded.permit,
                                read_classes = excluded.read_classes, write_classes = excluded.write_classes, eventfilter = excluded.eventfilter
                            """,
                        arguments: [tenantID, user.username, try self.secrets.seal(user.password), permit, user.read, user.write, eventFilter])
                    summary.amiUsers += 1
                }
            }
            try Self.bumpRevision(db)
            return summary
        }
    }

    private func upsertTenant(_ spec: ProvisioningDocument.TenantSpec, _ db: any StoreSession) throws -> Int64 {
        let byName = try db.fetchOne(sql: "SELECT id, uuid FROM tenant WHERE name = ?", arguments: [spec.name])
        var existingID: Int64? = try byName?["id"]
        if let uuid = spec.uuid {
            let uuidText = uuid.uuidString.lowercased()
            if let byName, try (byName["uuid"] as String).lowercased() != uuidText {
                throw ProvisioningError(
                    line: spec.line, field: "uuid",
                    message: "tenant '\(spec.name)' already has UUID \(try byName["uuid"] as String); a tenant's UUID never changes")
            }
            if existingID == nil, let renamed = try db.fetchOne(Int64.self, sql: "SELECT id FROM tenant WHERE uuid = ?", arguments: [uuidText]) {
                existingID = renamed
            }
        }
        if let owner = try db.fetchOne(
            String.self, sql: "SELECT name FROM tenant WHERE domain = ? AND id IS DISTINCT FROM ?",
            arguments: [spec.domain, existingID])
        {
            throw ProvisioningError(line: spec.line, field: "domain", message: "domain '\(spec.domain)' already belongs to tenant '\(owner)'")
        }
        if let id = existingID {
            try db.execute(
                sql: "UPDATE tenant SET name = ?, domain = ?, tone_country = ? WHERE id = ?",
                arguments: [spec.name, spec.domain, spec.toneCountry, id])
            return id
        }
        let uuid = (spec.uuid ?? UUID()).uuidString.lowercased()
        return try db.insert(
            sql: "INSERT INTO tenant (uuid, name, domain, tone_country) VALUES (?, ?, ?, ?)",
            arguments: [uuid, spec.name, spec.domain, spec.toneCountry])
    }
}
