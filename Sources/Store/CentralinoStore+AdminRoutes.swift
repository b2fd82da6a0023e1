import Foundation
import PBX

/// Outbound route CRUD for the admin panel and REST API, validated like a provisioning file's
/// `outbound_routes`: the prefix is unique in the tenant and the trunk must exist there.
extension CentralinoStore {
    public func outboundRoutes(of tenant: UUID) async throws -> [OutboundRoute] {
        try await database.read { db in
            let tenantID = try Self.tenantID(tenant, db)
            return try db.fetchAll(
                sql: """
                    SELECT outbound_route.prefix, outbound_route.strip, trunk.name AS trunk_name
                    FROM outbound_route JOIN trunk ON trunk.id = outbound_route.trunk_id
                    WHERE outbound_route.tenant_id = ? ORDER BY outbound_route.prefix
                    """, arguments: [tenantID]
            ).map { try OutboundRoute(prefix: $0["prefix"], trunk: $0["trunk_name"], strip: $0["strip"]) }
        }
    }

    public func outboundRoute(_ prefix: String, tenant: UUID) async throws -> OutboundRoute {
        guard let route = try await outboundRoutes(of: tenant).first(where: { $0.prefix == prefix }) else {
            throw AdminStoreError.notFound("outbound route", field: "prefix")
        }
        return route
    }

    /// Creates a route, or replaces the one with prefix `replacing` (whose prefix may change).
    @discardableResult
    public func saveOutboundRoute(_ route: OutboundRoute, replacing: String? = nil, tenant: UUID) async throws -> OutboundRoute {
        try AdminStoreError.check(route.prefix, ProvisioningRules.dialPrefix, field: "prefix")
        guard ProvisioningRules.strip.range.contains(route.strip) else {
            throw AdminStoreError(.invalid, field: "strip", ProvisioningRules.strip.explanation)
        }
        return try await database.write { db in
            let tenantID = try Self.tenantID(tenant, db)
            guard
                let trunkID = try db.fetchOne(
                    Int64.self, sql: "SELECT id FROM trunk WHERE tenant_id = ? AND name = ?", arguments: [tenantID, route.trunk])
            else {
                throw AdminStoreError(.invalid, field: "trunk", "no trunk named '\(route.trunk)' in this tenant")
            }
            let existingID = try db.fetchOne(
                Int64.self, sql: "SELECT id FROM outbound_route WHERE tenant_id = ? AND prefix = ?",
                arguments: [tenantID, replacing ?? route.prefix])
            if replacing != nil, existingID == nil { throw AdminStoreError.notFound("outbound route", field: "prefix") }
            if try db.fetchOne(
                Bool.self, sql: "SELECT 1 FROM outbound_route WHERE tenant_id = ? AND prefix = ? AND id IS DISTINCT FROM ?",
                arguments: [tenantID, route.prefix, replacing == nil ? nil : existingID]) != nil
            {
                throw AdminStoreError(.conflict, field: "prefix", "a route with prefix '\(route.prefix)' already exists in this tenant")
            }
            if let existingID {
                try db.execute(
                    sql: "UPDATE outbound_route SET prefix = ?, trunk_id = ?, strip = ? WHERE id = ?",
                    arguments: [route.prefix, trunkID, route.strip, existingID])
            } else {
                try db.execute(
                    sql: "INSERT INTO outbound_route (tenant_id, prefix, trunk_id, strip) VALUES (?, ?, ?, ?)",
                    arguments: [tenantID, route.prefix, trunkID, route.strip])
            }
            try Self.bumpRevision(db)
            return route
        }
    }

    public func deleteOutboundRoute(_ prefix: String, tenant: UUID) async throws {
        try await database.write { db in
            let tenantID = try Self.tenantID(tenant, db)
            try db.execute(sql: "DELETE FROM outbound_route WHERE tenant_id = ? AND prefix = ?", arguments: [tenantID, prefix])
            guard db.changesCount > 0 else { throw AdminStoreError.notFound("outbound route", field: "prefix") }
            try Self.bumpRevision(db)
        }
    }
}
