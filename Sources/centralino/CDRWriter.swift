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
/// `centralino_cdr_dropped_total{reason="queue_full"}` and logged; the engine never waits. A batch
/// whose write fails stays at the head of the queue and is tried again with backoff
/// (`CDRWriteQueue`: 0.5 s doubling to 10 s, dropped after 10 failed writes as
/// `reason="store_error"`); records the store skips because their tenant is gone count as
/// `reason="no_tenant"`. Once an hour it deletes the records older than `--cdr-retention-days` (0
/// keeps them). At shutdown it writes what is queued after the call engine has ended every call
/// (the group stops it last), retrying a failing store for at most `shutdownRetryBudget` seconds.
final class CDRWriter: CDRSink, Service, @unchecked Sendable {
    let store: CentralinoStore
    let queueLimit: Int
    let retentionDays: Int
    let logger: Logger
    /// Guarded by `lock`.
    private var pending: CDRWriteQueue
    private var lastDropLog = -Double.infinity
    private let lock = NSLock()
    /// Touched by the writer's task only.
    private var lastStoreErrorLog = -Double.infinity
    private var storeErrorsSinceLog = 0

    /// How often the queue is written out, and how often retention is swept.
    static let flushInterval = Duration.milliseconds(250)
    static let sweepInterval = 3600.0
    /// At shutdown, how long a failing store is retried before what is queued is dropped.
    static let shutdownRetryBudget = 10.0
    /// Least seconds between two warnings about dropped records, and between two store errors logged.
    static let logInterval = 10.0

    static let written = Counter(label: "centralino_cdr_written_total")
    static let droppedQueueFull = Counter(label: "centralino_cdr_dropped_total", dimensions: [("reason", "queue_full")])
    static let droppedStoreError = Counter(label: "centralino_cdr_dropped_total", dimensions: [("reason", "store_error")])
    static let droppedNoTenant = Counter(label: "centralino_cdr_dropped_total", dimensions: [("reason", "no_tenant")])
    static let storeErrors = Counter(label: "centralino_cdr_write_errors_total")
    static let swept = Counter(label: "centralino_cdr_retention_deleted_total")

    init(store: CentralinoStore, queueLimit: Int, retentionDays: Int, logger: Logger) {
        self.store = store
        self.queueLimit = queueLimit
        self.retentionDays = retentionDays
        self.logger = logger
        self.pending = CDRWriteQueue(limit: queueLimit)
        // Served from the start, at 0.
        for counter in [
            Self.written, Self.droppedQueueFull, Self.droppedStoreError, Self.droppedNoTenant, Self.storeErrors, Self.swept,
        ] {
            counter.increment(by: 0)
        }
    }

    /// A monotonic clock in seconds, for backoff and log rate limits.
    private static func now() -> Double { ProcessInfo.processInfo.systemUptime }

    /// On an engine loop: queues what fits, drops the rest.
    func record(_ records: [CallDetailRecord]) {
        let (dropped, log) = withQueue { queue -> (Int, Bool) in
            let dropped = queue.append(records)
            guard dropped > 0 else { return (0, false) }
            let now = Self.now()
            let log = now - lastDropLog >= Self.logInterval
            if log { lastDropLog = now }
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
        var lastSweep = -Double.infinity
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            await flush()
            let now = Self.now()
            if now - lastSweep >= Self.sweepInterval {
                lastSweep = now
                await sweep(now: Date().timeIntervalSince1970)
            }
            try? await Task.sleep(for: Self.flushInterval)
        }
        await drain()
    }

    private func withQueue<T>(_ body: (inout CDRWriteQueue) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&pending)
    }

    /// Writes what is queued, a batch at a time, until the queue is empty or a write fails (the
    /// failed batch waits at the head for its retry time). Only the writer's task calls it.
    func flush() async {
        while let batch = withQueue({ $0.nextBatch(now: Self.now()) }) {
            guard await write(batch) else { return }
        }
    }

    /// At shutdown: writes what is queued, retrying a failing store for at most `shutdownRetryBudget`
    /// seconds, then drops the rest as `store_error`.
    private func drain() async {
        let deadline = Self.now() + Self.shutdownRetryBudget
        while withQueue({ $0.count }) > 0 {
            await flush()
            guard withQueue({ $0.count }) > 0 else { return }
            if Self.now() >= deadline || Task.isCancelled {
                let dropped = withQueue { $0.dropAll() }
                Self.droppedStoreError.increment(by: Int64(dropped))
                logger.error("call detail records dropped at shutdown: the store keeps failing", metadata: ["records": "\(dropped)"])
                return
            }
            try? await Task.sleep(for: Self.flushInterval)
        }
    }

    /// Writes one batch (the head of the queue); false when the store failed.
    private func write(_ batch: [CallDetailRecord]) async -> Bool {
        do {
            let written = try await store.insertCDRs(batch)
            withQueue { $0.batchWritten(count: batch.count) }
            Self.written.increment(by: Int64(written))
            let skipped = batch.count - written
            if skipped > 0 {
                // The store writes a record only while its tenant exists.
                Self.droppedNoTenant.increment(by: Int64(skipped))
                logger.notice("call detail records of a deleted tenant not written", metadata: ["records": "\(skipped)"])
            }
            return true
        } catch {
            let now = Self.now()
            let outcome = withQueue { $0.batchFailed(count: batch.count, now: now) }
            Self.storeErrors.increment()
            storeErrorsSinceLog += 1
            switch outcome {
            case .dropped(let dropped):
                Self.droppedStoreError.increment(by: Int64(dropped))
                logger.error(
                    "call detail records dropped: the store failed every write of their batch",
                    metadata: [
                        "records": "\(dropped)", "attempts": "\(CDRWriteQueue.maximumWriteAttempts)", "error": "\(error)",
                    ])
            case .retry(let at):
                if now - lastStoreErrorLog >= Self.logInterval {
                    logger.warning(
                        "call detail records not written yet: the store failed, retrying",
                        metadata: [
                            "records": "\(batch.count)", "failures": "\(storeErrorsSinceLog)",
                            "retry_in_seconds": "\(at - now)", "error": "\(error)",
                        ])
                    lastStoreErrorLog = now
                    storeErrorsSinceLog = 0
                }
            }
            return false
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
