import AMI
import AMIServer
import ArgumentParser
import Calls
import Cluster
import Foundation
import Logging
import Metrics
import NIOConcurrencyHelpers
import NIOPosix
import PBX
import ServiceLifecycle
import Store

/// The cluster flags of `serve` (docs/cluster.md): with `--node-id` and a PostgreSQL database the node
/// joins the cluster (heartbeats, tenant homes, failover, AMI events of every node).
struct ClusterOptions: ParsableArguments {
    @Option(
        help:
            "This node's id in the cluster, [A-Za-z0-9_.-]{1,64}: joins the cluster in --cluster-database, events carry SystemName, uniqueids are <node>-<epoch>.<n> (env CENTRALINO_NODE_ID; default none: a single node)."
    )
    var nodeId: String?
    @Option(
        help:
            "PostgreSQL of the cluster tables and event bus, postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE (env CENTRALINO_CLUSTER_DATABASE; default --database)."
    )
    var clusterDatabase: String?
    @Option(help: "Where the SIP edge reaches this node, sip:HOST:PORT (env CENTRALINO_CLUSTER_SIP_URI; default from --sip-bind).")
    var clusterSipUri: String?
    @Option(help: "Seconds between heartbeats (env CENTRALINO_CLUSTER_HEARTBEAT_SECONDS; default 2).")
    var clusterHeartbeatSeconds: Int?
    @Option(
        help:
            "Seconds without a heartbeat after which a node is dead and its tenants move to the live nodes (env CENTRALINO_CLUSTER_FAILOVER_SECONDS; default 10)."
    )
    var clusterFailoverSeconds: Int?
    @Option(
        help:
            "HOST:PORT where this node takes AMI actions (Originate, Hangup, Status…) and REST calls that other nodes forward for the tenants homed here; without it they refuse them (env CENTRALINO_CLUSTER_BIND; default none)."
    )
    var clusterBind: String?
    @Option(
        help:
            "Seconds a node waits for the home node's reply to a forwarded action before answering 'Forwarded action timed out', 1 to 600 (env CENTRALINO_CLUSTER_FORWARD_TIMEOUT_SECONDS; default 40)."
    )
    var clusterForwardTimeoutSeconds: Int?
    @Option(
        help:
            "Largest reply to a forwarded action in bytes (a Status or CoreShowChannels of many channels, the REST call list), 65536 to 67108864 (env CENTRALINO_CLUSTER_FORWARD_REPLY_BYTES; default 4194304)."
    )
    var clusterForwardReplyBytes: Int?
    @Option(
        help:
            "Idle control connections kept open to each other node for the next forwarded actions, 0 to 64; 0: a new connection per action (env CENTRALINO_CLUSTER_CONTROL_POOL; default 8)."
    )
    var clusterControlPool: Int?

    func controlPoolLimit() throws -> Int {
        let limit = try EnvironmentOption.resolveInt(
            clusterControlPool, "CENTRALINO_CLUSTER_CONTROL_POOL", default: ClusterControlPool.standardLimit)
        guard ClusterControlPool.limitRange.contains(limit) else { throw CommandFailure("--cluster-control-pool must be 0 to 64") }
        return limit
    }

    func forwardLimits() throws -> ClusterForwardLimits {
        let seconds = try EnvironmentOption.resolveInt(
            clusterForwardTimeoutSeconds, "CENTRALINO_CLUSTER_FORWARD_TIMEOUT_SECONDS", default: 40)
        let bytes = try EnvironmentOption.resolveInt(
            clusterForwardReplyBytes, "CENTRALINO_CLUSTER_FORWARD_REPLY_BYTES", default: ClusterForwardLimits.standard.replyBytes)
        guard ClusterForwardLimits.timeoutRange.contains(seconds) else {
            throw CommandFailure("--cluster-forward-timeout-seconds must be 1 to 600")
        }
        guard ClusterForwardLimits.replyBytesRange.contains(bytes) else {
            throw CommandFailure("--cluster-forward-reply-bytes must be 65536 to 67108864")
        }
        return ClusterForwardLimits(timeout: .seconds(Int64(seconds)), replyBytes: bytes)
    }

    /// The cluster of this node, nil without `--node-id`.
    func makeNode(database: String?, sipBind: BindAddress, dataDirectory: URL, logger: Logger) throws -> ClusterNode? {
        let node = EnvironmentOption.resolve(nodeId, "CENTRALINO_NODE_ID", default: "")
        guard !node.isEmpty else { return nil }
        guard ClusterNodeID.isValid(node) else { throw CommandFailure("--node-id \(node): expected 1 to 64 of A-Z a-z 0-9 _ . -") }
        let fallback = EnvironmentOption.resolve(database, "CENTRALINO_DATABASE", default: "")
        let url = EnvironmentOption.resolve(clusterDatabase, "CENTRALINO_CLUSTER_DATABASE", default: fallback)
        guard ClusterDatabase.isPostgresURL(url) else {
            throw CommandFailure("--node-id needs a PostgreSQL database: --cluster-database or --database postgres://USER@HOST[:PORT]/DATABASE")
        }
        let db: ClusterDatabase
        do {
            let parsed = try PostgresURL(parsing: url)
            db = ClusterDatabase(
                host: parsed.host, port: parsed.port, username: parsed.user, password: parsed.password, database: parsed.database,
                tls: try parsed.connectionTLS())
        } catch let error as PostgresURL.Invalid {
            throw CommandFailure("--cluster-database: \(error.reason)")
        } catch {
            throw CommandFailure("--cluster-database: \(error)")
        }
        let heartbeat = try EnvironmentOption.resolveInt(clusterHeartbeatSeconds, "CENTRALINO_CLUSTER_HEARTBEAT_SECONDS", default: 2)
        let failover = try EnvironmentOption.resolveInt(clusterFailoverSeconds, "CENTRALINO_CLUSTER_FAILOVER_SECONDS", default: 10)
        guard (1...60).contains(heartbeat), failover >= 2 * heartbeat, failover <= 3600 else {
            throw CommandFailure("--cluster-heartbeat-seconds must be 1 to 60, --cluster-failover-seconds at least twice that and at most 3600")
        }
        var sipURI = EnvironmentOption.resolve(clusterSipUri, "CENTRALINO_CLUSTER_SIP_URI", default: "")
        if sipURI.isEmpty {
            guard !["0.0.0.0", "::", ""].contains(sipBind.host) else {
                throw CommandFailure(
                    "--sip-bind \(sipBind) listens on every address: give --cluster-sip-uri sip:HOST:PORT (where the edge reaches this node)")
            }
            sipURI = sipBind.host.contains(":") ? "sip:[\(sipBind.host)]:\(sipBind.port)" : "sip:\(sipBind.host):\(sipBind.port)"
        }
        guard sipURI.hasPrefix("sip:"), sipURI.utf8.count <= 184, !sipURI.contains(" ") else {
            throw CommandFailure("--cluster-sip-uri \(sipURI): expected sip:HOST:PORT")
        }
        let bindText = EnvironmentOption.resolve(clusterBind, "CENTRALINO_CLUSTER_BIND", default: "")
        var control: BindAddress?
        if !bindText.isEmpty {
            let address = try BindAddress(parsing: bindText, flag: "--cluster-bind")
            guard !["0.0.0.0", "::", ""].contains(address.host), address.port > 0 else {
                throw CommandFailure("--cluster-bind \(bindText): give the address the other nodes reach (not a wildcard) and a port")
            }
            control = address
        }
        let keyFile = dataDirectory.appendingPathComponent("secret.key")
        guard let key = try? Data(contentsOf: keyFile), !key.isEmpty else {
            throw CommandFailure("--node-id: cannot read \(keyFile.path) (the cluster's shared secret key)")
        }
        return ClusterNode(
            nodeID: node, sipURI: sipURI, database: db, heartbeat: .seconds(heartbeat), failoverAfter: .seconds(failover),
            control: control, codec: ClusterControlCodec(secretKeyFile: key), forwardLimits: try forwardLimits(),
            controlPool: ClusterControlPool(limit: try controlPoolLimit()), logger: logger)
    }
}

/// This node's membership and event bus, wired to the AMI event bus and the store.
final class ClusterNode: Sendable {
    let nodeID: String
    let sipURI: String
    let database: ClusterDatabase
    let heartbeat: Duration
    let failoverAfter: Duration
    let logger: Logger
    /// `--cluster-bind`: where this node takes forwarded actions.
    let control: BindAddress?
    let codec: ClusterControlCodec
    private let controlServer = NIOLockedValueBox<ClusterControlServer?>(nil)
    private let forwardedSent = Counter(label: "centralino_cluster_forwarded_actions_total", dimensions: [("side", "sent")])
    private let forwardedFailed = Counter(label: "centralino_cluster_forwarded_actions_total", dimensions: [("side", "unanswered")])
    private let forwardedTaken = Counter(label: "centralino_cluster_forwarded_actions_total", dimensions: [("side", "taken")])
    private let forwardedTimedOut = Counter(label: "centralino_cluster_forwarded_actions_total", dimensions: [("side", "timed_out")])
    /// `--cluster-forward-timeout-seconds`, `--cluster-forward-reply-bytes`.
    let forwardLimits: ClusterForwardLimits
    /// `--cluster-control-pool`: idle control connections kept per peer node.
    let controlPool: ClusterControlPool
    /// The AMI event bus remote events are delivered to (set once, before the cluster runs).
    private let localBus = NIOLockedValueBox<AMIEventBus?>(nil)
    private let membershipBox = NIOLockedValueBox<NodeMembership?>(nil)
    let events: ClusterEventBus

    init(
        nodeID: String, sipURI: String, database: ClusterDatabase, heartbeat: Duration, failoverAfter: Duration, control: BindAddress?,
        codec: ClusterControlCodec, forwardLimits: ClusterForwardLimits = .standard,
        controlPool: ClusterControlPool = ClusterControlPool(limit: ClusterControlPool.standardLimit), logger: Logger
    ) {
        self.controlPool = controlPool
        self.control = control
        self.forwardLimits = forwardLimits
        self.codec = codec
        self.nodeID = nodeID
        self.sipURI = sipURI
        self.database = database
        self.heartbeat = heartbeat
        self.failoverAfter = failoverAfter
        self.logger = logger
        let localBus = self.localBus
        let membershipBox = self.membershipBox
        events = ClusterEventBus(
            nodeID: nodeID, database: database, logger: logger,
            deliver: { event in
                let bus = localBus.withLockedValue { $0 }
                bus?.deliverFromNode(
                    AMIEvent(event.name, classes: AMIPermissions(rawValue: event.classes), fields: event.fields.map { ($0.name, $0.value) }),
                    tenant: event.tenant)
            },
            homesChanged: { membershipBox.withLockedValue { $0 }?.requestRefresh() })
    }

    /// What the AMI event bus hands every event of this node to.
    var relay: any AMIEventRelay { ClusterRelay(events: events) }

    var membership: NodeMembership? { membershipBox.withLockedValue { $0 } }

    /// Connects the cluster to the node's AMI bus and store; `tenants` lists the store's tenants.
    /// `homeGained` runs for each tenant that becomes homed here (it takes over the tenant's registrations).
    func attach(
        bus: AMIEventBus, tenants: @escaping @Sendable () async throws -> [ClusterTenant],
        homeGained: @escaping @Sendable (UUID) async throws -> Void
    ) {
        localBus.withLockedValue { $0 = bus }
        membershipBox.withLockedValue {
            $0 = NodeMembership(
                nodeID: nodeID, sipURI: sipURI, controlAddress: control?.description, database: database, heartbeat: heartbeat,
                failoverAfter: failoverAfter, tenants: tenants, homeGained: homeGained, logger: logger)
        }
    }

    /// Refuses, on this node, the new calls of tenants homed on another node.
    func gate(_ homes: CallHomeGate) {
        let membershipBox = self.membershipBox
        homes.install { tenant in
            guard let membership = membershipBox.withLockedValue({ $0 }), let home = membership.homeNode(of: tenant),
                home != membership.nodeID
            else { return nil }
            return home
        }
    }

    /// Forwarding (docs/cluster.md): this node forwards the Originates of tenants homed elsewhere to
    /// their home node's `--cluster-bind`, and with its own `--cluster-bind` takes those of the others.
    /// Returns the banner line of the listener, if any.
    func startControl(
        homes: CallHomeGate, host: AMIForwardedActions.Host?,
        api: @escaping @Sendable (_ headers: [(String, String)], _ tenant: UUID) async -> [(String, String)]
    ) async throws -> String? {
        let client = ClusterControlClient(codec: codec, limits: forwardLimits, group: MultiThreadedEventLoopGroup.singleton, pool: controlPool)
        let membershipBox = self.membershipBox
        let (sent, failed, timedOut) = (forwardedSent, forwardedFailed, forwardedTimedOut)
        homes.installForwarder { home, tenant, username, headers, isAPI, completion in
            guard let address = membershipBox.withLockedValue({ $0 })?.controlAddress(of: home) else {
                completion(.answered(fields: [("Response", "Error"), ("Message", "Tenant homed on node \(home)")], events: []))
                return
            }
            sent.increment()
            Task {
                let action = ClusterForwardedAction(
                    tenant: tenant, username: username, headers: headers.map { .init($0.0, $0.1) }, api: isAPI)
                switch await client.send(action, to: address) {
                case .answered(let reply):
                    completion(
                        .answered(
                            fields: reply.fields.map { ($0.name, $0.value) }, events: reply.events.map { $0.map { ($0.name, $0.value) } }))
                case .timedOut:
                    timedOut.increment()
                    completion(.timedOut)
                case .unanswered:
                    failed.increment()
                    completion(.unanswered)
                }
            }
        }
        forwardedSent.increment(by: 0)
        forwardedFailed.increment(by: 0)
        forwardedTimedOut.increment(by: 0)
        forwardedTaken.increment(by: 0)
        guard let control else { return nil }
        let taken = forwardedTaken
        let server = ClusterControlServer(codec: codec, limits: forwardLimits, logger: logger) { action, connection in
            taken.increment()
            let headers = action.headers.map { ($0.name, $0.value) }
            if action.api { return ClusterReply(fields: await api(headers, action.tenant).map { .init($0.0, $0.1) }) }
            guard let host else { return ClusterReply(fields: [.init("Response", "Error"), .init("Message", "No call engine")]) }
            let reply = await AMIForwardedActions.run(
                headers: headers, tenant: action.tenant, username: action.username, host: host, connection: connection)
            return ClusterReply(
                fields: reply.responseFields.map { .init($0.0, $0.1) },
                events: reply.events.map { event in [.init("Event", event.name)] + event.fields.map { .init($0.0, $0.1) } })
        }
        let listening: String
        do {
            listening = try await server.bind(host: control.host, port: control.port, group: MultiThreadedEventLoopGroup.singleton)
        } catch {
            throw CommandFailure("cannot listen for forwarded actions on --cluster-bind \(control): \(error)")
        }
        controlServer.withLockedValue { $0 = server }
        return "cluster control listening on \(listening)"
    }

    func stopControl() async {
        await controlServer.withLockedValue { $0 }?.close()
    }

    var bannerLine: String {
        "cluster node \(nodeID) (\(sipURI)) on PostgreSQL \(database.host):\(database.port)/\(database.database)"
    }

    var service: ClusterService { ClusterService(node: self) }
}

struct ClusterRelay: AMIEventRelay {
    let events: ClusterEventBus

    func relay(_ event: AMIEvent, tenant: UUID) {
        events.publish(tenant: tenant, name: event.name, classes: event.classes.rawValue, fields: event.fields.map { .init($0.0, $0.1) })
    }
}

/// Heartbeats and the event bus as a service: they run until shutdown (a node that stops is, for the
/// cluster, a node that failed: its tenants move after --cluster-failover-seconds).
struct ClusterService: Service, CustomStringConvertible {
    let node: ClusterNode
    var description: String { "ClusterService(\(node.nodeID))" }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                if let membership = node.membership { group.addTask { await membership.run() } }
                group.addTask { await node.events.run() }
                await group.waitForAll()
            }
        }
        await node.stopControl()
    }
}
