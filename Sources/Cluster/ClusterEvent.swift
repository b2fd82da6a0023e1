import Foundation

/// One AMI event of a node, as the cluster bus carries it to the other nodes: the tenant it belongs
/// to, the publisher, the publisher's sequence number (receivers count gaps), and the event itself
/// (name, permission classes as AMI's bit set, fields in order, `SystemName` among them).
public struct ClusterEvent: Sendable, Equatable {
    public var tenant: UUID
    /// The publishing node (`--node-id`).
    public var node: String
    /// The publisher's start time (microseconds since the epoch): a new run restarts the sequence.
    public var boot: Int64
    /// 1, 2, 3… per publisher run, in publishing order.
    public var sequence: UInt64
    /// When it was queued for publishing, microseconds since the epoch (for the bus lag histogram).
    public var sentAt: Int64
    public var name: String
    public var classes: Int
    public var fields: [Field]

    public struct Field: Sendable, Equatable, Codable {
        public var name: String
        public var value: String
        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    public init(
        tenant: UUID, node: String, boot: Int64, sequence: UInt64, sentAt: Int64, name: String, classes: Int, fields: [Field]
    ) {
        self.tenant = tenant
        self.node = node
        self.boot = boot
        self.sequence = sequence
        self.sentAt = sentAt
        self.name = name
        self.classes = classes
        self.fields = fields
    }
}

/// The text of a NOTIFY: an event as JSON, or, when that is too long for a NOTIFY, a reference to the
/// row of `cluster_event_payload` that holds it (with the header a receiver needs to count gaps).
public enum ClusterPayload: Sendable, Equatable {
    case inline(ClusterEvent)
    case reference(id: Int64, tenant: UUID, node: String, boot: Int64, sequence: UInt64)

    /// PostgreSQL refuses NOTIFY payloads of 8,000 bytes or more (default build); longer events go to
    /// the table.
    public static let maximumNotifyBytes = 7_999
    /// Longest event text (JSON) published at all, bytes; a longer event is dropped and counted.
    public static let maximumEventBytes = 1 << 20

    private struct Wire: Codable {
        var t: UUID
        var n: String
        var b: Int64
        var s: UInt64
        var at: Int64?
        var e: String?
        var c: Int?
        var f: [ClusterEvent.Field]?
        var r: Int64?
    }

    /// The JSON of a whole event.
    public static func encode(_ event: ClusterEvent) -> String {
        let wire = Wire(
            t: event.tenant, n: event.node, b: event.boot, s: event.sequence, at: event.sentAt, e: event.name, c: event.classes,
            f: event.fields, r: nil)
        return String(decoding: (try? JSONEncoder().encode(wire)) ?? Data(), as: UTF8.self)
    }

    /// The NOTIFY text of a reference to a stored event.
    public static func encodeReference(id: Int64, of event: ClusterEvent) -> String {
        let wire = Wire(t: event.tenant, n: event.node, b: event.boot, s: event.sequence, r: id)
        return String(decoding: (try? JSONEncoder().encode(wire)) ?? Data(), as: UTF8.self)
    }

    /// A NOTIFY text or a stored body read back; nil when it is not one (it is then ignored and counted).
    public static func decode(_ text: String) -> ClusterPayload? {
        guard text.utf8.count <= maximumEventBytes, let wire = try? JSONDecoder().decode(Wire.self, from: Data(text.utf8)),
            ClusterNodeID.isValid(wire.n)
        else { return nil }
        if let id = wire.r {
            return .reference(id: id, tenant: wire.t, node: wire.n, boot: wire.b, sequence: wire.s)
        }
        guard let name = wire.e, let classes = wire.c, let fields = wire.f, let sentAt = wire.at else { return nil }
        return .inline(
            ClusterEvent(
                tenant: wire.t, node: wire.n, boot: wire.b, sequence: wire.s, sentAt: sentAt, name: name, classes: classes, fields: fields))
    }

    /// The NOTIFY channel of a tenant's events: one of `shards` channels, always the same for a tenant.
    public static func channel(for tenant: UUID, shards: Int) -> String {
        let bytes = tenant.uuid
        let sum = withUnsafeBytes(of: bytes) { raw in raw.reduce(0) { $0 &+ Int($1) } }
        return "\(channelPrefix)\(sum % max(1, shards))"
    }

    public static let channelPrefix = "centralino_events_"
}

/// Node ids (`--node-id`): what `cluster_node.node_id` accepts, `[A-Za-z0-9_.-]{1,64}`.
public enum ClusterNodeID {
    public static func isValid(_ id: String) -> Bool {
        guard (1...64).contains(id.utf8.count) else { return false }
        return id.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F || byte == 0x2E
                || byte == 0x2D
        }
    }
}

/// Counts the events a receiver missed, from the publishers' sequence numbers: per publisher run,
/// a sequence number more than one past the last seen means the ones between were lost (not
/// delivered while this node or the database was away, or dropped by the publisher). Bounded: it
/// remembers at most `maximumPublishers` publisher runs (the oldest is forgotten).
public struct ClusterGapCounter: Sendable {
    public static let maximumPublishers = 256
    private var last: [String: (boot: Int64, sequence: UInt64, order: Int)] = [:]
    private var order = 0
    /// Events lost in all since start.
    public private(set) var lost: UInt64 = 0

    public init() {}

    public enum Verdict: Equatable, Sendable {
        /// Deliver it; `lost` events of this publisher were missed just before it.
        case deliver(lost: UInt64)
        /// Seen already (or older than one seen): not delivered again.
        case duplicate
    }

    public mutating func observe(node: String, boot: Int64, sequence: UInt64) -> Verdict {
        order += 1
        guard let known = last[node] else {
            // The first event of a publisher since this node started: what came before is not ours to count.
            remember(node, boot, sequence)
            return .deliver(lost: 0)
        }
        if boot != known.boot {
            if boot < known.boot { return .duplicate }
            // The publisher restarted: its numbering starts again at 1.
            let missed = sequence > 0 ? sequence - 1 : 0
            lost += missed
            remember(node, boot, sequence)
            return .deliver(lost: missed)
        }
        guard sequence > known.sequence else { return .duplicate }
        let missed = sequence - known.sequence - 1
        lost += missed
        remember(node, boot, sequence)
        return .deliver(lost: missed)
    }

    private mutating func remember(_ node: String, _ boot: Int64, _ sequence: UInt64) {
        last[node] = (boot, sequence, order)
        if last.count > Self.maximumPublishers, let oldest = last.min(by: { $0.value.order < $1.value.order })?.key {
            last[oldest] = nil
        }
    }
}

/// Where tenants go: each to the live node with the fewest tenants (ties: the smaller node id), the
/// counts updated as it goes, so a batch spreads out. Used for new tenants and for the tenants of a
/// failed node; a node that joins takes nothing until there is something to place.
public enum ClusterPlacement {
    public static func assign(_ tenants: [UUID], load: [String: Int]) -> [(tenant: UUID, node: String)] {
        guard !load.isEmpty else { return [] }
        var load = load
        var result: [(tenant: UUID, node: String)] = []
        for tenant in tenants.sorted(by: { $0.uuidString < $1.uuidString }) {
            let node = load.min { ($0.value, $0.key) < ($1.value, $1.key) }!.key
            load[node, default: 0] += 1
            result.append((tenant, node))
        }
        return result
    }
}
