import Calls
import Foundation
import Logging
import Metrics
import PBX
import ServiceLifecycle
import Store

/// Takes the call engine's finished call detail records off its loops and writes them to the store
/// in batches, from a task of its own (never a database call on an event loop). Its queue is
/// bounded (`--cdr-queue-limit`): records beyond it are dropped, counted in
/// `centralino_cdr_dropped_total{reason="queue_full"}` and logged; the engine never waits. Once an
/// hour it deletes the records older than `--cdr-retention-days` (0 keeps them). At shutdown it
/// writes what is queued after the call engine has ended every call (the group stops it last).
final class CDRWriter: CDRSink, Service, @unchecked Sendable {
    let store: CentralinoStore
    let queueLimit: Int
    let retentionDays: Int
    let logger: Logger
    /// Guarded by `lock`.
    private var pending = Queue()
    private let lock = NSLock()

    private struct Queue {
        var records: [CallDetailRecord] = []
        var lastDropLog = 0.0
    }

    /// How often the queue is written out, and how often retention is swept.
    static let flushInterval = Duration.milliseconds(250)
    static let sweepInterval = 3600.0
    /// Most records written in one transaction.
    static let batchLimit = 500

    static let written = Counter(label: "centralino_cdr_written_total")
    static let droppedQueueFull = Counter(label: "centralino_cdr_dropped_total", dimensions: [("reason", "queue_full")])
    static let droppedStoreError = Counter(label: "centralino_cdr_dropped_total", dimensions: [("reason", "store_error")])
    static let swept = Counter(label: "centralino_cdr_retention_deleted_total")

    init(store: CentralinoStore, queueLimit: Int, retentionDays: Int, logger: Logger) {
        self.store = store
        self.queueLimit = queueLimit
        self.retentionDays = retentionDays
        self.logger = logger
        // Served from the start, at 0.
        for counter in [Self.written, Self.droppedQueueFull, Self.droppedStoreError, Self.swept] { counter.increment(by: 0) }
    }

    /// On an engine loop: queues what fits, drops the rest.
    func record(_ records: [CallDetailRecord]) {
        let (dropped, log) = withQueue { queue -> (Int, Bool) in
            let room = max(0, queueLimit - queue.records.count)
            queue.records.append(contentsOf: records.prefix(room))
            let dropped = records.count - min(room, records.count)
            guard dropped > 0 else { return (0, false) }
            let now = Date().timeIntervalSince1970
            let log = now - queue.lastDropLog >= 10
            if log { queue.lastDropLog = now }
            return (dropped, log)
        }
        guard dropped > 0 else { return }
        Self.droppedQueueFull.increment(by: Int64(dropped))
        if log {
            logger.warning(
                "call detail records dropped: the writer's queue is full (--cdr-queue-limit)",
                metadata: ["dropped": "\(dropped)", "limit": "\(queueLimit)"])
        }
    }

    func run() async throws {
        var lastSweep = 0.0
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            await flush()
            let now = Date().timeIntervalSince1970
            if now - lastSweep >= Self.sweepInterval {
                lastSweep = now
                await sweep(now: now)
            }
            try? await Task.sleep(for: Self.flushInterval)
        }
        await flush()
    }

    private func withQueue<T>(_ body: (inout Queue) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&pending)
    }

    /// Writes everything queued, a batch at a time.
    func flush() async {
        while true {
            let batch = withQueue { queue -> [CallDetailRecord] in
                let batch = Array(queue.records.prefix(Self.batchLimit))
                queue.records.removeFirst(batch.count)
                return batch
            }
            guard !batch.isEmpty else { return }
            do {
                try await store.insertCDRs(batch)
                Self.written.increment(by: Int64(batch.count))
            } catch {
                Self.droppedStoreError.increment(by: Int64(batch.count))
                logger.error("call detail records not written", metadata: ["records": "\(batch.count)", "error": "\(error)"])
            }
        }
    }

    /// Deletes the records past retention.
    func sweep(now: Double) async {
        guard retentionDays > 0 else { return }
        do {
            let deleted = try await store.deleteCDRs(startedBefore: now - Double(retentionDays) * 86_400)
            Self.swept.increment(by: Int64(deleted))
            if deleted > 0 { logger.info("call detail records past retention deleted", metadata: ["records": "\(deleted)"]) }
        } catch {
            logger.error("call detail record retention sweep failed", metadata: ["error": "\(error)"])
        }
    }
}

extension CDRWriter: CustomStringConvertible {
    var description: String { "CDRWriter(queue limit: \(queueLimit), retention: \(retentionDays) days)" }
}

/// `--cdr-queue-limit` and `--cdr-retention-days`.
extension Serve {
    static let defaultCDRQueueLimit = 10_000
    static let defaultCDRRetentionDays = 180

    func cdrWriter(store: CentralinoStore, logger: Logger) throws -> CDRWriter {
        let limit = try EnvironmentOption.resolveInt(cdrQueueLimit, "CENTRALINO_CDR_QUEUE_LIMIT", default: Self.defaultCDRQueueLimit)
        let days = try EnvironmentOption.resolveInt(cdrRetentionDays, "CENTRALINO_CDR_RETENTION_DAYS", default: Self.defaultCDRRetentionDays)
        guard (1...1_000_000).contains(limit) else { throw CommandFailure("--cdr-queue-limit \(limit): expected 1 to 1000000") }
        guard (0...36_500).contains(days) else { throw CommandFailure("--cdr-retention-days \(days): expected 0 (keep) to 36500") }
        return CDRWriter(store: store, queueLimit: limit, retentionDays: days, logger: logger)
    }
}
