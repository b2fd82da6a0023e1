import Foundation
import PBX

/// A trunk as the admin panel shows it: whether a password is set, never the password itself.
public struct TrunkRecord: Sendable, Hashable {
    public var trunk: Trunk
    public var hasPassword: Bool

    public init(trunk: Trunk, hasPassword: Bool) {
        self.trunk = trunk
        self.hasPassword = hasPassword
    }
}

/// Trunk CRUD for the admin panel and REST API, validated like a provisioning file's `trunks`.
extension CentralinoStore {
    public func trunkRecords(of tenant: UUID) async throws -> [TrunkRecord] {
        try await database.read { db in
            let tenantID = try Self.tenantID(tenant, db)
            return try db.fetchAll(sql: "SELECT * FROM trunk WHERE tenant_id = ? ORDER BY name", arguments: [tenantID]).map(Self.trunkRecord)
        }
    }

    public func trunkRecord(_ name: String, tenant: UUID) async throws -> TrunkRecord {
        try await database.read { db in
            let tenantID = try Self.tenantID(tenant, db)
            guard let row = try db.fetchOne(sql: "SELECT * FROM trunk WHERE tenant_id = ? AND name = ?", arguments: [tenantID, name]) else {
                throw AdminStoreError.notFound("trunk", field: "name")
            }
            return try Self.trunkRecord(row)
        }
    }

    /// Creates a trunk, or replaces the one named `replacing` (which may be renamed).
    /// A nil or empty `password` keeps the current password on update and means none on create.
    @discardableResult
    public func saveTrunk(_ trunk: Trunk, password: String?, replacing: String? = nil, tenant: UUID) async throws -> TrunkRecord {
        try Self.validateTrunk(trunk)
        let password = Self.optionalText(password)
        if let password { try AdminStoreError.check(password, ProvisioningRules.secret, field: "password") }
        let sealed = try password.map { try secrets.seal($0) }
        return try await database.write { db in
            let tenantID = try Self.tenantID(tenant, db)
            let existingID = try db.fetchOne(
                Int64.self, sql: "SELECT id FROM trunk WHERE tenant_id = ? AND name = ?", arguments: [tenantID, replacing ?? trunk.name])
            if replacing != nil, existingID == nil { throw AdminStoreError.notFound("trunk", field: "name") }
            if try db.fetchOne(
                Bool.self, sql: "SELECT 1 FROM trunk WHERE tenant_id = ? AND name = ? AND id IS DISTINCT FROM ?",
                arguments: [tenantID, trunk.name, replacing == nil ? nil : existingID]) != nil
            {
                throw AdminStoreError(.conflict, field: "name", "a trunk named '\(trunk.name)' already exists in this tenant")
            }
            let username = Self.optionalText(trunk.username)
            if let existingID {
                try db.execute(
                    sql: "UPDATE trunk SET name = ?, host = ?, port = ?, transport = ?, username = ?, rtp_timeout = ? WHERE id = ?",
                    arguments: [trunk.name, trunk.host, trunk.port, trunk.transport.rawValue, username, trunk.rtpTimeout, existingID])
                if let sealed { try db.execute(sql: "UPDATE trunk SET password_sealed = ? WHERE id = ?", arguments: [sealed, existingID]) }
            } else {
                try db.execute(
                    sql:
                        "INSERT INTO trunk (tenant_id, name, host, port, transport, username, password_sealed, rtp_timeout) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    arguments: [tenantID, trunk.name, trunk.host, trunk.port, trunk.transport.rawValue, username, sealed, trunk.rtpTimeout])
            }
            try Self.bumpRevision(db)
            guard let row = try db.fetchOne(sql: "SELECT * FROM trunk WHERE tenant_id = ? AND name = ?", arguments: [tenantID, trunk.name])
            else {
                throw AdminStoreError.notFound("trunk", field: "name")
            }
            return try Self.trunkRecord(row)
        }
    }

    /// Deletes a trunk; outbound routes through it are deleted with it.
    public func deleteTrunk(_ name: String, tenant: UUID) async throws {
        try await database.write { db in
            let tenantID = try Self.tenantID(tenant, db)
            try db.execute(sql: "DELETE FROM trunk WHERE tenant_id = ? AND name = ?", arguments: [tenantID, name])
            guard db.changesCount > 0 else { throw AdminStoreError.notFound("trunk", field: "name") }
            try Self.bumpRevision(db)
        }
    }

    static func validateTrunk(_ trunk: Trunk) throws {
        try AdminStoreError.check(trunk.name, ProvisioningRules.tenantName, field: "name")
        try AdminStoreError.check(trunk.host, ProvisioningRules.host, field: "host")
        guard ProvisioningRules.trunkPort.range.contains(trunk.port) else {
            throw AdminStoreError(.invalid, field: "port", ProvisioningRules.trunkPort.explanation)
        }
        if let username = optionalText(trunk.username) {
            try AdminStoreError.check(username, ProvisioningRules.trunkUsername, field: "username")
        }
        if let rtpTimeout = trunk.rtpTimeout, !Trunk.rtpTimeoutField.range.contains(rtpTimeout) {
            throw AdminStoreError(.invalid, field: "rtp_timeout", Trunk.rtpTimeoutField.explanation)
        }
    }

    /// The row's `rtp_timeout` when set and within range (migration v5); nil = the node's value (also
    /// for a value of another type, written by hand).
    static func trunkRTPTimeout(_ row: StoreRow) -> Int? {
        guard let value = row.value(named: "rtp_timeout").flatMap(Int.init(storeValue:)), Trunk.rtpTimeoutField.range.contains(value)
        else { return nil }
        return value
    }

    static func trunkRecord(_ row: StoreRow) throws -> TrunkRecord {
        let transport = try Trunk.Transport(rawValue: row["transport"]) ?? .udp
        let sealed: Data? = try row["password_sealed"]
        return try TrunkRecord(
            trunk: Trunk(
                name: row["name"], host: row["host"], port: row["port"], transport: transport, username: row["username"],
                rtpTimeout: Self.trunkRTPTimeout(row)),
            hasPassword: sealed != nil)
    }
}
