import Foundation
import Logging
import Metrics
import NIOConcurrencyHelpers
import PostgresNIO

/// A tenant as the cluster places it: its uuid and SIP domain (from the node's store).
public struct ClusterTenant: Sendable, Equatable {
    public var uuid: UUID
    public var domain: String
    public init(uuid: UUID, domain: String) {
        self.uuid = uuid
        self.domain = domain
    }
}

/// This node in the cluster: its row of `cluster_node` (created at start, with a dispatcher set of its
/// own), its heartbeat, the failover sweep and the placement of new tenants, and the tenant → home node
/// map it keeps in memory (read every heartbeat and whenever a node announces a change).
///
/// Failover: a node whose heartbeat (database clock) is older than `failoverAfter` is dead; a live
/// node that sees tenants homed on a dead node, or tenants of its store that have no home yet, takes
/// the cluster's advisory lock in a transaction, reads the tables again and moves / places each such
/// tenant on the live node with the fewest tenants (`ClusterPlacement`). The lock serializes the
/// survivors, so a tenant is moved once and never taken by two nodes; a joining node takes nothing.
public final class NodeMembership: Sendable {
    public let nodeID: String
    public let sipURI: String
    /// Where this node takes actions forwarded by the others (`--cluster-bind`), nil: it takes none.
    public let controlAddress: String?
    let database: ClusterDatabase
    public let heartbeat: Duration
    public let failoverAfter: Duration
    let tenants: @Sendable () async throws -> [ClusterTenant]
    /// Called once for each tenant that became homed on this node (at start, placed, failed over or
    /// moved by an operator), after the homes were read: the node takes over what the tenant's previous
    /// home held (its phones' registrations), off the heartbeat path. A failure is retried after the next heartbeat.
    let homeGained: (@Sendable (UUID) async throws -> Void)?
    let logger: Logger
    private let state = NIOLockedValueBox(State())

    private struct State {
        var homes: [UUID: String] = [:]
        var controls: [String: String] = [:]
        /// Tenants whose domain another tenant holds in `cluster_tenant`: not retried (nor logged) every
        /// heartbeat, only every `unplaceableRetryRounds`.
        var unplaceable: Set<UUID> = []
        var rounds = 0
        var reachable = false
        var refreshRequested = false
        /// Tenants homed here whose `homeGained` ran (a tenant that leaves is removed, so it runs again
        /// when the tenant comes back).
        var taken: Set<UUID> = []
    }

    /// The advisory lock key of membership changes (DDL at start, placement, failover).
    static let lockKey: Int64 = 0x6365_6E74_7261_6C69
    static let homesChannel = "centralino_cluster"
    static let unplaceableRetryRounds = 150

    private let heartbeats = Counter(label: "centralino_cluster_heartbeats_total")
    private let heartbeatFailures = Counter(label: "centralino_cluster_heartbeat_failures_total")
    private let failedOver = Counter(label: "centralino_cluster_failover_tenants_total")
    private let placed = Counter(label: "centralino_cluster_placed_tenants_total")
    private let databaseUp = Gauge(label: "centralino_cluster_database_up")
    private let homeTenants = Gauge(label: "centralino_cluster_home_tenants")

    public init(
        nodeID: String, sipURI: String, controlAddress: String? = nil, database: ClusterDatabase, heartbeat: Duration,
        failoverAfter: Duration, tenants: @escaping @Sendable () async throws -> [ClusterTenant],
        homeGained: (@Sendable (UUID) async throws -> Void)? = nil, logger: Logger
    ) {
        self.homeGained = homeGained
        self.nodeID = nodeID
        self.sipURI = sipURI
        self.controlAddress = controlAddress
        self.database = database
        self.heartbeat = heartbeat
        self.failoverAfter = failoverAfter
        self.tenants = tenants
        self.logger = logger
        databaseUp.record(0)
        heartbeats.increment(by: 0)
        heartbeatFailures.increment(by: 0)
        failedOver.increment(by: 0)
        placed.increment(by: 0)
    }

    /// Where `node` takes forwarded actions, nil when it takes none.
    public func controlAddress(of node: String) -> String? {
        state.withLockedValue { $0.controls[node] }
    }

    /// The home node of a tenant, nil when it has none (yet).
    public func homeNode(of tenant: UUID) -> String? {
        state.withLockedValue { $0.homes[tenant] }
    }

    /// True unless the tenant is homed on another node (a tenant with no home yet runs where it is).
    public func runsHere(_ tenant: UUID) -> Bool {
        state.withLockedValue { $0.homes[tenant].map { $0 == nodeID } ?? true }
    }

    /// The tenants this node is home of.
    public var homeTenantSet: Set<UUID> {
        state.withLockedValue { Set($0.homes.filter { $0.value == nodeID }.keys) }
    }

    /// Whether the last heartbeat reached the database.
    public var databaseReachable: Bool { state.withLockedValue { $0.reachable } }

    /// Asks the heartbeat loop to read the homes again at once (a node announced a change).
    public func requestRefresh() {
        state.withLockedValue { $0.refreshRequested = true }
    }

    /// Heartbeats until cancelled, reconnecting with backoff when the database goes away.
    public func run() async {
        var backoff = ClusterBackoff()
        while !Task.isCancelled {
            var connection: PostgresConnection?
            do {
                let opened = try await database.connect(id: 1, logger: logger)
                connection = opened
                try await prepare(opened)
                backoff.succeeded()
                logger.notice("cluster: node joined", metadata: ["node": "\(nodeID)", "sip": "\(sipURI)"])
                while !Task.isCancelled {
                    try await round(opened)
                    try await sleepUntilNextRound()
                }
            } catch {
                setReachable(false)
                if !Task.isCancelled {
                    heartbeatFailures.increment()
                    logger.warning("cluster: database unreachable, retrying", metadata: ["error": "\(String(reflecting: error))"])
                }
            }
            try? await connection?.close()
            if Task.isCancelled { break }
            try? await Task.sleep(for: backoff.failed())
        }
    }

    private func sleepUntilNextRound() async throws {
        let deadline = ContinuousClock.now + heartbeat
        while ContinuousClock.now < deadline {
            let refresh = state.withLockedValue { value in
                defer { value.refreshRequested = false }
                return value.refreshRequested
            }
            if refresh { return }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    private func setReachable(_ reachable: Bool) {
        state.withLockedValue { $0.reachable = reachable }
        databaseUp.record(reachable ? 1 : 0)
    }

    /// The tables (when missing) and this node's row, under the lock.
    private func prepare(_ connection: PostgresConnection) async throws {
        try await connection.run("BEGIN", logger: logger)
        try await connection.run("SELECT pg_advisory_xact_lock(\(Self.lockKey))", logger: logger)
        for statement in ClusterSchema.statements(ClusterSchema.kamailio + ClusterSchema.centralino) {
            try await connection.run(PostgresQuery(unsafeSQL: statement), logger: logger)
        }
        try await upsertNode(connection)
        try await connection.run("COMMIT", logger: logger)
    }

    private func upsertNode(_ connection: PostgresConnection) async throws {
        try await connection.run(
            """
            INSERT INTO cluster_node (node_id, sip_uri, dispatcher_set, heartbeat_at)
            VALUES (\(nodeID), \(sipURI), (SELECT COALESCE(MAX(dispatcher_set), 0) + 1 FROM cluster_node), now())
            ON CONFLICT (node_id) DO UPDATE SET sip_uri = EXCLUDED.sip_uri, heartbeat_at = now()
            """, logger: logger)
        if let controlAddress {
            try await connection.run(
                """
                INSERT INTO cluster_node_control (node_id, address) VALUES (\(nodeID), \(controlAddress))
                ON CONFLICT (node_id) DO UPDATE SET address = EXCLUDED.address
                """, logger: logger)
        } else {
            try await connection.run("DELETE FROM cluster_node_control WHERE node_id = \(nodeID)", logger: logger)
        }
    }

    /// One heartbeat: write it, place and fail over when needed, read the homes.
    private func round(_ connection: PostgresConnection) async throws {
        let updated = try await connection.run(
            "UPDATE cluster_node SET heartbeat_at = now() WHERE node_id = \(nodeID) RETURNING node_id", logger: logger
        ).collect()
        if updated.isEmpty {
            // The row was removed (by an operator): this node is back, with a new dispatcher set.
            try await connection.run("BEGIN", logger: logger)
            try await connection.run("SELECT pg_advisory_xact_lock(\(Self.lockKey))", logger: logger)
            try await upsertNode(connection)
            try await connection.run("COMMIT", logger: logger)
        }
        heartbeats.increment()
        setReachable(true)
        var snapshot = try await readSnapshot(connection)
        let skipped = state.withLockedValue { value in
            value.rounds += 1
            if value.rounds % Self.unplaceableRetryRounds == 0 { value.unplaceable = [] }
            return value.unplaceable
        }
        let storeTenants = ((try? await tenants()) ?? []).filter { !skipped.contains($0.uuid) }
        if snapshot.needsWork(storeTenants: storeTenants), snapshot.live.contains(nodeID) {
            try await connection.run("BEGIN", logger: logger)
            try await connection.run("SELECT pg_advisory_xact_lock(\(Self.lockKey))", logger: logger)
            snapshot = try await readSnapshot(connection)
            let changes = try await place(snapshot, storeTenants: storeTenants, connection)
            if changes > 0 { try await connection.run("SELECT pg_notify(\(Self.homesChannel), 'homes')", logger: logger) }
            try await connection.run("COMMIT", logger: logger)
            if changes > 0 { snapshot = try await readSnapshot(connection) }
        }
        updateHomes(snapshot.homes)
        state.withLockedValue { $0.controls = snapshot.controls }
        takeGainedHomes(snapshot.homes)
    }

    /// Runs `homeGained` for each tenant newly homed here, in a task of its own: it reads the store,
    /// which must never hold up the heartbeat (a late heartbeat would make this node look dead). A
    /// tenant whose take-over failed is tried again after the next heartbeat.
    private func takeGainedHomes(_ homes: [UUID: String]) {
        guard let homeGained else { return }
        let mine = Set(homes.filter { $0.value == nodeID }.keys)
        let gained = state.withLockedValue { value in
            value.taken.formIntersection(mine)
            let new = mine.subtracting(value.taken)
            value.taken.formUnion(new)
            return new.sorted { $0.uuidString < $1.uuidString }
        }
        guard !gained.isEmpty else { return }
        let (state, logger) = (self.state, self.logger)
        Task {
            for tenant in gained {
                do {
                    try await homeGained(tenant)
                } catch {
                    state.withLockedValue { _ = $0.taken.remove(tenant) }
                    logger.warning(
                        "cluster: taking over a tenant's state failed, retrying after the next heartbeat",
                        metadata: ["tenant": "\(tenant.uuidString.lowercased())", "error": "\(error)"])
                }
            }
        }
    }

    struct Snapshot {
        var live: Set<String>
        var homes: [UUID: String]
        var controls: [String: String] = [:]

        func needsWork(storeTenants: [ClusterTenant]) -> Bool {
            storeTenants.contains { homes[$0.uuid] == nil } || homes.values.contains { !live.contains($0) }
        }
    }

    private func readSnapshot(_ connection: PostgresConnection) async throws -> Snapshot {
        let seconds = Double(failoverAfter.components.seconds) + Double(failoverAfter.components.attoseconds) / 1e18
        var live = Set<String>()
        let nodes = try await connection.run(
            """
            SELECT node_id, COALESCE(heartbeat_at >= now() - \(seconds)::float8 * interval '1 second', false)
            FROM cluster_node
            """, logger: logger)
        for try await (node, alive) in nodes.decode((String, Bool).self) where alive { live.insert(node) }
        var homes: [UUID: String] = [:]
        let rows = try await connection.run("SELECT tenant_uuid, home_node FROM cluster_tenant", logger: logger)
        for try await (tenant, node) in rows.decode((UUID, String).self) { homes[tenant] = node }
        var controls: [String: String] = [:]
        let addresses = try await connection.run("SELECT node_id, address FROM cluster_node_control", logger: logger)
        for try await (node, address) in addresses.decode((String, String).self) { controls[node] = address }
        return Snapshot(live: live, homes: homes, controls: controls)
    }

    /// Inside the locked transaction: tenants of dead nodes to live ones, new tenants to a home.
    private func place(_ snapshot: Snapshot, storeTenants: [ClusterTenant], _ connection: PostgresConnection) async throws -> Int {
        var load: [String: Int] = [:]
        for node in snapshot.live { load[node] = 0 }
        for node in snapshot.homes.values where snapshot.live.contains(node) { load[node, default: 0] += 1 }
        let orphans = snapshot.homes.filter { !snapshot.live.contains($0.value) }
        var changes = 0
        for (tenant, node) in ClusterPlacement.assign(Array(orphans.keys), load: load) {
            let from = orphans[tenant] ?? ""
            try await connection.run(
                "UPDATE cluster_tenant SET home_node = \(node) WHERE tenant_uuid = \(tenant) AND home_node = \(from)", logger: logger)
            load[node, default: 0] += 1
            changes += 1
            failedOver.increment()
            logger.notice(
                "cluster: failover: tenant moved to a live node",
                metadata: ["tenant": "\(tenant.uuidString.lowercased())", "from": "\(from)", "to": "\(node)"])
        }
        let byUUID = Dictionary(storeTenants.map { ($0.uuid, $0) }, uniquingKeysWith: { first, _ in first })
        let fresh = storeTenants.filter { snapshot.homes[$0.uuid] == nil }.map(\.uuid)
        for (tenant, node) in ClusterPlacement.assign(fresh, load: load) {
            guard let domain = byUUID[tenant]?.domain.lowercased(), Self.isValidDomain(domain) else { continue }
            let rows = try await connection.run(
                """
                INSERT INTO cluster_tenant (tenant_uuid, domain, home_node) VALUES (\(tenant), \(domain), \(node))
                ON CONFLICT DO NOTHING RETURNING tenant_uuid
                """, logger: logger
            ).collect()
            guard !rows.isEmpty else {
                guard state.withLockedValue({ $0.unplaceable.insert(tenant).inserted }) else { continue }
                logger.warning(
                    "cluster: tenant not placed: its domain is another tenant's in cluster_tenant",
                    metadata: ["tenant": "\(tenant.uuidString.lowercased())", "domain": "\(domain)"])
                continue
            }
            load[node, default: 0] += 1
            changes += 1
            placed.increment()
            logger.notice(
                "cluster: tenant placed on a home node", metadata: ["tenant": "\(tenant.uuidString.lowercased())", "node": "\(node)"])
        }
        return changes
    }

    /// What `cluster_tenant.domain` accepts: `^[a-z0-9][a-z0-9.-]{0,252}$`.
    static func isValidDomain(_ domain: String) -> Bool {
        let bytes = Array(domain.utf8)
        guard (1...253).contains(bytes.count) else { return false }
        func ok(_ byte: UInt8) -> Bool { (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39) }
        return ok(bytes[0]) && bytes.dropFirst().allSatisfy { ok($0) || $0 == 0x2E || $0 == 0x2D }
    }

    private func updateHomes(_ homes: [UUID: String]) {
        let before = state.withLockedValue { value in
            defer { value.homes = homes }
            return value.homes
        }
        let mine = homes.filter { $0.value == nodeID }
        homeTenants.record(mine.count)
        for (tenant, node) in homes where before[tenant] != node {
            logger.notice(
                "cluster: tenant home", metadata: ["tenant": "\(tenant.uuidString.lowercased())", "node": "\(node)", "self": "\(node == nodeID)"])
        }
    }
}
