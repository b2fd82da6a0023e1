import Foundation
import Logging
import Metrics
import NIOConcurrencyHelpers
import PostgresNIO

/// AMI events across nodes over PostgreSQL LISTEN/NOTIFY.
///
/// Publishing: `publish` queues an event (bounded: `queueLimit`, beyond it events are dropped and
/// counted) with the next sequence number of this node's run; one task sends what is queued in
/// batches of at most `batchLimit`, each batch one transaction of `pg_notify` calls on
/// `centralino_events_<n>` (`shards` channels, a tenant always on the same one). An event whose JSON
/// is `ClusterPayload.maximumNotifyBytes` or longer is stored in `cluster_event_payload` (pruned after
/// `payloadRetention`) in the same transaction and the NOTIFY carries its row id. While the database is
/// away, queued events are lost (counted); receivers see the gap in the sequence numbers.
///
/// Receiving: one connection LISTENs on every shard channel and on `centralino_cluster` (home
/// changes); an event of another node is handed to `deliver` (the node's AMI event bus), its own
/// events are skipped (they were delivered locally). After an error the connection is made again with
/// backoff and the channels listened to again.
public final class ClusterEventBus: Sendable {
    public let nodeID: String
    /// This run of the node (microseconds since the epoch at start).
    public let boot: Int64
    public let shards: Int
    let database: ClusterDatabase
    let logger: Logger
    let deliver: @Sendable (ClusterEvent) -> Void
    let homesChanged: @Sendable () -> Void

    /// Events waiting to be published, at most.
    public static let queueLimit = 10_000
    /// Events per NOTIFY transaction, at most.
    public static let batchLimit = 500
    public static let defaultShards = 4
    /// How long an oversized event's row stays in `cluster_event_payload`.
    public static let payloadRetention = 60

    private let queue = NIOLockedValueBox(Queue())
    private let gaps = NIOLockedValueBox(ClusterGapCounter())
    private let wake: AsyncStream<Void>.Continuation
    private let wakes: AsyncStream<Void>

    private struct Queue {
        var events: [ClusterEvent] = []
        var nextSequence: UInt64 = 1
    }

    private let published = Counter(label: "centralino_cluster_bus_published_total")
    private let delivered = Counter(label: "centralino_cluster_bus_delivered_total")
    private let droppedFull = Counter(label: "centralino_cluster_bus_dropped_total", dimensions: [("reason", "queue_full")])
    private let droppedUnreachable = Counter(label: "centralino_cluster_bus_dropped_total", dimensions: [("reason", "database_unreachable")])
    private let droppedOversized = Counter(label: "centralino_cluster_bus_dropped_total", dimensions: [("reason", "oversized")])
    private let lost = Counter(label: "centralino_cluster_bus_lost_total")
    private let invalid = Counter(label: "centralino_cluster_bus_invalid_total")
    private let stored = Counter(label: "centralino_cluster_bus_stored_payloads_total")
    private let reconnects = Counter(label: "centralino_cluster_bus_reconnects_total")
    private let lag = Metrics.Timer(label: "centralino_cluster_bus_lag_seconds")

    public init(
        nodeID: String, database: ClusterDatabase, shards: Int = defaultShards, logger: Logger,
        deliver: @escaping @Sendable (ClusterEvent) -> Void, homesChanged: @escaping @Sendable () -> Void
    ) {
        self.nodeID = nodeID
        self.boot = Int64(Date().timeIntervalSince1970 * 1_000_000)
        self.shards = max(1, shards)
        self.database = database
        self.logger = logger
        self.deliver = deliver
        self.homesChanged = homesChanged
        (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        for counter in [published, delivered, droppedFull, droppedUnreachable, droppedOversized, lost, invalid, stored, reconnects] {
            counter.increment(by: 0)
        }
    }

    /// Events lost on the way to this node since start (gaps in the publishers' sequence numbers).
    public var lostEvents: UInt64 { gaps.withLockedValue { $0.lost } }

    /// Queues an event of this node for the other nodes; never blocks.
    public func publish(tenant: UUID, name: String, classes: Int, fields: [ClusterEvent.Field]) {
        let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
        let wasEmpty: Bool? = queue.withLockedValue { queue in
            guard queue.events.count < Self.queueLimit else { return nil }
            let event = ClusterEvent(
                tenant: tenant, node: nodeID, boot: boot, sequence: queue.nextSequence, sentAt: now, name: name, classes: classes,
                fields: fields)
            queue.nextSequence += 1
            queue.events.append(event)
            return queue.events.count == 1
        }
        switch wasEmpty {
        case nil: droppedFull.increment()
        case true?: wake.yield()
        case false?: break
        }
    }

    private func take(_ limit: Int) -> [ClusterEvent] {
        queue.withLockedValue { queue in
            let batch = Array(queue.events.prefix(limit))
            queue.events.removeFirst(batch.count)
            return batch
        }
    }

    /// Publishes and receives until cancelled.
    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.runPublisher() }
            group.addTask { await self.runListener() }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(1))
                    self.wake.yield()
                }
            }
            await group.waitForAll()
        }
        wake.finish()
    }

    // MARK: - Publishing

    private func runPublisher() async {
        var backoff = ClusterBackoff()
        var iterator = wakes.makeAsyncIterator()
        while !Task.isCancelled {
            var connection: PostgresConnection?
            do {
                let opened = try await database.connect(id: 2, logger: logger)
                connection = opened
                backoff.succeeded()
                var lastPrune = ContinuousClock.now
                while !Task.isCancelled {
                    var batch = take(Self.batchLimit)
                    while !batch.isEmpty {
                        do {
                            try await send(batch, on: opened)
                        } catch {
                            droppedUnreachable.increment(by: Int64(batch.count))
                            throw error
                        }
                        published.increment(by: Int64(batch.count))
                        batch = take(Self.batchLimit)
                    }
                    if ContinuousClock.now - lastPrune > .seconds(Self.payloadRetention / 2) {
                        lastPrune = ContinuousClock.now
                        try await opened.run(
                            "DELETE FROM cluster_event_payload WHERE created_at < now() - \(Self.payloadRetention) * interval '1 second'",
                            logger: logger)
                    }
                    // Woken by the first event queued, and every second by the ticker (to prune, to notice a closed connection).
                    guard await iterator.next() != nil else { throw CancellationError() }
                    if opened.isClosed { throw ClusterDisconnected() }
                }
            } catch {
                if !Task.isCancelled {
                    logger.warning("cluster bus: publisher lost the database, reconnecting", metadata: ["error": "\(String(reflecting: error))"])
                }
            }
            try? await connection?.close()
            if Task.isCancelled { break }
            // Events queued while the database is away are lost (the receivers count the gap).
            let waiting = take(Self.queueLimit)
            if !waiting.isEmpty { droppedUnreachable.increment(by: Int64(waiting.count)) }
            try? await Task.sleep(for: backoff.failed())
        }
    }

    /// One transaction: the oversized events stored, then every NOTIFY of the batch.
    private func send(_ batch: [ClusterEvent], on connection: PostgresConnection) async throws {
        var channels: [String] = []
        var payloads: [String] = []
        var oversized: [(index: Int, event: ClusterEvent, text: String)] = []
        for event in batch {
            let text = ClusterPayload.encode(event)
            let bytes = text.utf8.count
            if bytes > ClusterPayload.maximumEventBytes {
                droppedOversized.increment()
                continue
            }
            channels.append(ClusterPayload.channel(for: event.tenant, shards: shards))
            if bytes > ClusterPayload.maximumNotifyBytes { oversized.append((payloads.count, event, text)) }
            payloads.append(text)
        }
        guard !payloads.isEmpty else { return }
        if !oversized.isEmpty { try await connection.run("BEGIN", logger: logger) }
        for item in oversized {
            let rows = try await connection.run(
                "INSERT INTO cluster_event_payload (body) VALUES (\(item.text)) RETURNING id", logger: logger)
            for try await id in rows.decode(Int64.self) {
                payloads[item.index] = ClusterPayload.encodeReference(id: id, of: item.event)
            }
            stored.increment()
        }
        try await connection.run(
            "SELECT pg_notify(c, p) FROM unnest(\(channels)::text[], \(payloads)::text[]) WITH ORDINALITY AS t(c, p, i) ORDER BY i",
            logger: logger)
        if !oversized.isEmpty { try await connection.run("COMMIT", logger: logger) }
    }

    // MARK: - Receiving

    private func runListener() async {
        var backoff = ClusterBackoff()
        var first = true
        while !Task.isCancelled {
            var connection: PostgresConnection?
            do {
                let opened = try await database.connect(id: 3, logger: logger)
                connection = opened
                if !first {
                    reconnects.increment()
                    logger.notice("cluster bus: listener reconnected", metadata: ["lost_so_far": "\(lostEvents)"])
                }
                first = false
                backoff.succeeded()
                homesChanged()
                let channels = (0..<shards).map { "\(ClusterPayload.channelPrefix)\($0)" } + [NodeMembership.homesChannel]
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for channel in channels {
                        group.addTask {
                            try await opened.listen(on: channel) { notifications in
                                for try await notification in notifications {
                                    await self.received(notification.payload, channel: channel, connection: opened)
                                }
                            }
                            throw ClusterDisconnected()
                        }
                    }
                    try await group.next()
                    group.cancelAll()
                }
            } catch {
                if !Task.isCancelled {
                    logger.warning("cluster bus: listener lost the database, reconnecting", metadata: ["error": "\(String(reflecting: error))"])
                }
            }
            try? await connection?.close()
            if Task.isCancelled { break }
            try? await Task.sleep(for: backoff.failed())
        }
    }

    private func received(_ text: String, channel: String, connection: PostgresConnection) async {
        if channel == NodeMembership.homesChannel {
            homesChanged()
            return
        }
        // This node's own events come back to it: skipped before they are decoded.
        if ClusterPayload.publisher(of: text) == nodeID { return }
        guard let payload = ClusterPayload.decode(text) else {
            invalid.increment()
            return
        }
        let event: ClusterEvent
        switch payload {
        case .inline(let inline):
            guard inline.node != nodeID else { return }
            event = inline
        case .reference(let id, _, let node, _, _):
            guard node != nodeID else { return }
            guard let body = try? await fetch(id, on: connection), case .inline(let stored)? = ClusterPayload.decode(body),
                stored.node == node
            else {
                invalid.increment()
                return
            }
            event = stored
        }
        let verdict = gaps.withLockedValue { $0.observe(node: event.node, boot: event.boot, sequence: event.sequence) }
        guard case .deliver(let missed) = verdict else { return }
        if missed > 0 {
            lost.increment(by: Int64(missed))
            logger.warning("cluster bus: events lost", metadata: ["from": "\(event.node)", "lost": "\(missed)", "lost_total": "\(lostEvents)"])
        }
        deliver(event)
        delivered.increment()
        let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
        lag.recordNanoseconds(max(0, now - event.sentAt) * 1000)
    }

    private func fetch(_ id: Int64, on connection: PostgresConnection) async throws -> String? {
        let rows = try await connection.run(
            "SELECT body FROM cluster_event_payload WHERE id = \(id) AND octet_length(body) <= \(ClusterPayload.maximumEventBytes)",
            logger: logger)
        for try await body in rows.decode(String.self) { return body }
        return nil
    }
}
