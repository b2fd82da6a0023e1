import Foundation
import PBX

/// A trunk with its tenant and its password decrypted, for the SIP driver (outbound digest).
public struct StoredTrunk: Sendable {
    public var tenant: UUID
    public var trunk: Trunk
    public var password: String?
}

/// An outbound route with its tenant.
public struct StoredRoute: Sendable {
    public var tenant: UUID
    public var route: OutboundRoute
}

extension CentralinoStore {
    public func storedTrunks() async throws -> [StoredTrunk] {
        try await database.read { db in try self.fetchStoredTrunks(db) }
    }

    public func storedRoutes() async throws -> [StoredRoute] {
        try await database.read { db in try Self.fetchStoredRoutes(db) }
    }

    func fetchStoredTrunks(_ db: any StoreSession) throws -> [StoredTrunk] {
        try db.fetchAll(sql: "SELECT trunk.*, tenant.uuid AS tenant_uuid FROM trunk JOIN tenant ON tenant.id = trunk.tenant_id").map { row in
            let uuidText: String = try row["tenant_uuid"]
            let sealed: Data? = try row["password_sealed"]
            let trunk = try Trunk(
                name: row["name"], host: row["host"], port: row["port"],
                transport: Trunk.Transport(rawValue: row["transport"]) ?? .udp, username: row["username"],
                rtpTimeout: Self.trunkRTPTimeout(row))
            return StoredTrunk(tenant: UUID(uuidString: uuidText) ?? UUID(), trunk: trunk, password: try sealed.map { try secrets.open($0) })
        }
    }

    static func fetchStoredRoutes(_ db: any StoreSession) throws -> [StoredRoute] {
        try db.fetchAll(
            sql: """
                SELECT outbound_route.prefix, outbound_route.strip, trunk.name AS trunk_name, tenant.uuid AS tenant_uuid
                FROM outbound_route JOIN trunk ON trunk.id = outbound_route.trunk_id JOIN tenant ON tenant.id = outbound_route.tenant_id
                ORDER BY length(outbound_route.prefix) DESC
                """
        ).map { row in
            let uuidText: String = try row["tenant_uuid"]
            return try StoredRoute(
                tenant: UUID(uuidString: uuidText) ?? UUID(),
                route: OutboundRoute(prefix: row["prefix"], trunk: row["trunk_name"], strip: row["strip"]))
        }
    }
}
