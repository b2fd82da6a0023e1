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

    /// The JSON of a whole event: `{"t":tenant,"n":node,"b":boot,"s":sequence,"at":sentAt,"e":name,
    /// "c":classes,"f":[{"name":…,"value":…},…]}`, written by hand (Foundation's JSONEncoder took a fifth
    /// of a node's CPU on a cluster's click-to-call; docs/performance.md, Cluster).
    public static func encode(_ event: ClusterEvent) -> String {
        var out = header(tenant: event.tenant, node: event.node, boot: event.boot, sequence: event.sequence)
        out.append(contentsOf: ",\"at\":\(event.sentAt),\"e\":".utf8)
        appendJSONString(event.name, to: &out)
        out.append(contentsOf: ",\"c\":\(event.classes),\"f\":[".utf8)
        for (index, field) in event.fields.enumerated() {
            out.append(contentsOf: (index == 0 ? "{\"name\":" : ",{\"name\":").utf8)
            appendJSONString(field.name, to: &out)
            out.append(contentsOf: ",\"value\":".utf8)
            appendJSONString(field.value, to: &out)
            out.append(UInt8(ascii: "}"))
        }
        out.append(contentsOf: "]}".utf8)
        return String(decoding: out, as: UTF8.self)
    }

    /// The NOTIFY text of a reference to a stored event: `{"t":…,"n":…,"b":…,"s":…,"r":id}`.
    public static func encodeReference(id: Int64, of event: ClusterEvent) -> String {
        var out = header(tenant: event.tenant, node: event.node, boot: event.boot, sequence: event.sequence)
        out.append(contentsOf: ",\"r\":\(id)}".utf8)
        return String(decoding: out, as: UTF8.self)
    }

    private static func header(tenant: UUID, node: String, boot: Int64, sequence: UInt64) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        out.append(contentsOf: "{\"t\":\"\(tenant.uuidString)\",\"n\":".utf8)
        appendJSONString(node, to: &out)
        out.append(contentsOf: ",\"b\":\(boot),\"s\":\(sequence)".utf8)
        return out
    }

    /// `text` as a JSON string: `"` and `\\` escaped, control characters as `\\u00XX`, the rest as UTF-8.
    static func appendJSONString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        let hex = Array("0123456789abcdef".utf8)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                out.append(UInt8(ascii: "\\"))
                out.append(byte)
            case 0..<0x20:
                out.append(contentsOf: [
                    UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 15)],
                ])
            default:
                out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// The publishing node of a payload written by `encode` or `encodeReference` (its first two keys),
    /// read without the rest: a node skips its own events (every node hears its own NOTIFYs). Nil when
    /// the text does not start that way (it is then decoded whole).
    public static func publisher(of text: String) -> String? {
        var copy = text
        return copy.withUTF8 { bytes in
            var reader = ClusterJSONReader(bytes: bytes)
            return reader.publisher()
        }
    }

    /// A NOTIFY text or a stored body read back; nil when it is not one (it is then ignored and counted).
    public static func decode(_ text: String) -> ClusterPayload? {
        guard text.utf8.count <= maximumEventBytes else { return nil }
        var copy = text
        return copy.withUTF8 { bytes in
            var reader = ClusterJSONReader(bytes: bytes)
            return reader.payload()
        }
    }

    /// The NOTIFY channel of a tenant's events: one of `shards` channels, always the same for a tenant.
    public static func channel(for tenant: UUID, shards: Int) -> String {
        let bytes = tenant.uuid
        let sum = withUnsafeBytes(of: bytes) { raw in raw.reduce(0) { $0 &+ Int($1) } }
        return "\(channelPrefix)\(sum % max(1, shards))"
    }

    public static let channelPrefix = "centralino_events_"
}

/// Reads the payload JSON `ClusterPayload.encode` writes (any order of its keys, whitespace, every
/// JSON string escape); anything else, an unknown key included, is not a payload.
struct ClusterJSONReader {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0

    init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    mutating func payload() -> ClusterPayload? {
        var tenant: UUID?
        var node: String?
        var boot: Int64?
        var sequence: UInt64?
        var sentAt: Int64?
        var name: String?
        var classes: Int?
        var fields: [ClusterEvent.Field]?
        var reference: Int64?
        guard consume(UInt8(ascii: "{")) else { return nil }
        if !consume(UInt8(ascii: "}")) {
            repeat {
                guard let key = string(), consume(UInt8(ascii: ":")) else { return nil }
                switch key {
                case "t": tenant = string().flatMap(UUID.init(uuidString:))
                case "n": node = string()
                case "b": boot = integer()
                case "s": sequence = integer().flatMap { $0 >= 0 ? UInt64($0) : nil }
                case "at": sentAt = integer()
                case "e": name = string()
                case "c": classes = integer().flatMap { Int(exactly: $0) }
                case "f": fields = fieldList()
                case "r": reference = integer()
                default: return nil
                }
            } while consume(UInt8(ascii: ","))
            guard consume(UInt8(ascii: "}")) else { return nil }
        }
        skipSpace()
        guard index == bytes.count, let tenant, let node, ClusterNodeID.isValid(node), let boot, let sequence else { return nil }
        if let reference { return .reference(id: reference, tenant: tenant, node: node, boot: boot, sequence: sequence) }
        guard let name, let classes, let fields, let sentAt else { return nil }
        return .inline(
            ClusterEvent(tenant: tenant, node: node, boot: boot, sequence: sequence, sentAt: sentAt, name: name, classes: classes, fields: fields))
    }

    /// `{"t":"…","n":"<node>"` → the node.
    mutating func publisher() -> String? {
        guard consume(UInt8(ascii: "{")), string() == "t", consume(UInt8(ascii: ":")), string() != nil, consume(UInt8(ascii: ",")),
            string() == "n", consume(UInt8(ascii: ":"))
        else { return nil }
        return string()
    }

    private mutating func fieldList() -> [ClusterEvent.Field]? {
        guard consume(UInt8(ascii: "[")) else { return nil }
        var fields: [ClusterEvent.Field] = []
        if consume(UInt8(ascii: "]")) { return fields }
        repeat {
            guard consume(UInt8(ascii: "{")) else { return nil }
            var name: String?
            var value: String?
            repeat {
                guard let key = string(), consume(UInt8(ascii: ":")) else { return nil }
                switch key {
                case "name": name = string()
                case "value": value = string()
                default: return nil
                }
            } while consume(UInt8(ascii: ","))
            guard consume(UInt8(ascii: "}")), let name, let value else { return nil }
            fields.append(ClusterEvent.Field(name, value))
        } while consume(UInt8(ascii: ","))
        return consume(UInt8(ascii: "]")) ? fields : nil
    }

    private mutating func skipSpace() {
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
    }

    private mutating func consume(_ byte: UInt8) -> Bool {
        skipSpace()
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    /// A JSON integer that fits an Int64 (no fraction, no exponent).
    private mutating func integer() -> Int64? {
        skipSpace()
        var negative = false
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        var value: Int64 = 0
        let start = index
        while index < bytes.count, (0x30...0x39).contains(bytes[index]) {
            let digit = Int64(bytes[index] - 0x30)
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = negative ? times.subtractingReportingOverflow(digit) : times.addingReportingOverflow(digit)
            guard !overflow1, !overflow2 else { return nil }
            value = sum
            index += 1
        }
        return index > start ? value : nil
    }

    private mutating func string() -> String? {
        guard consume(UInt8(ascii: "\"")) else { return nil }
        // The common case, a string without escapes: one String from the bytes as they are.
        var end = index
        while end < bytes.count, bytes[end] != UInt8(ascii: "\""), bytes[end] != UInt8(ascii: "\\"), bytes[end] >= 0x20 { end += 1 }
        if end < bytes.count, bytes[end] == UInt8(ascii: "\"") {
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[index..<end]), as: UTF8.self)
            index = end + 1
            return text
        }
        var out: [UInt8] = Array(bytes[index..<end])
        index = end
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard index < bytes.count else { return nil }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    guard var scalar = hex4() else { return nil }
                    if (0xD800..<0xDC00).contains(scalar) {
                        // A surrogate pair: the low half follows as another \u escape.
                        guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else { return nil }
                        index += 2
                        guard let low = hex4(), (0xDC00..<0xE000).contains(low) else { return nil }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let unicode = Unicode.Scalar(scalar) else { return nil }
                    out.append(contentsOf: String(Character(unicode)).utf8)
                default: return nil
                }
            case 0..<0x20:
                return nil
            default:
                out.append(byte)
            }
        }
        return nil
    }

    private mutating func hex4() -> UInt32? {
        guard index + 4 <= bytes.count else { return nil }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            index += 1
            let digit: UInt8
            switch byte {
            case 0x30...0x39: digit = byte - 0x30
            case 0x41...0x46: digit = byte - 0x41 + 10
            case 0x61...0x66: digit = byte - 0x61 + 10
            default: return nil
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }
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
