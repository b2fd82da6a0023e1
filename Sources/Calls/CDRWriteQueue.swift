import PBX

/// The call detail record writer's queue and retry rule, without a clock or a store (the writer in
/// `Sources/centralino/CDRWriter.swift` passes the time and does the writing):
///
/// - at most `limit` records wait, the batch being written included; what does not fit is dropped
///   (the caller counts it as `queue_full`);
/// - a batch is the first `batchLimit` records; it stays at the head of the queue until it is
///   written, so a failed write is retried with the same records, in order, within the limit;
/// - after a failed write the head batch waits `firstRetryDelay` seconds, doubling after each
///   further failure up to `maximumRetryDelay`; after `maximumWriteAttempts` failed writes it is
///   dropped (the caller counts it as `store_error`) and the next batch starts afresh.
///
/// With the defaults a batch is tried 10 times over about 55 s (0.5 + 1 + 2 + 4 + 8 + 10 × 4), long
/// enough for a database restart or failover; a store that stays down costs records, never memory.
package struct CDRWriteQueue {
    /// Most records written in one transaction.
    package static let batchLimit = 500
    package static let firstRetryDelay = 0.5
    package static let maximumRetryDelay = 10.0
    /// Failed writes after which a batch is dropped.
    package static let maximumWriteAttempts = 10

    package let limit: Int
    package private(set) var records: [CallDetailRecord] = []
    /// Failed writes of the head batch so far.
    package private(set) var failedAttempts = 0
    /// When the head batch may be tried again (seconds on the caller's clock).
    package private(set) var retryAt = 0.0

    package init(limit: Int) {
        precondition(limit > 0, "a CDR queue holds at least one record")
        self.limit = limit
    }

    package var count: Int { records.count }

    /// Queues what fits; returns how many of `new` were dropped.
    package mutating func append(_ new: [CallDetailRecord]) -> Int {
        let room = max(0, limit - records.count)
        let taken = min(room, new.count)
        records.append(contentsOf: new.prefix(taken))
        return new.count - taken
    }

    /// The head batch, when there is one and its retry time has come at `now`.
    package func nextBatch(now: Double) -> [CallDetailRecord]? {
        guard !records.isEmpty, now >= retryAt else { return nil }
        return Array(records.prefix(Self.batchLimit))
    }

    /// The head batch (`count` records, as `nextBatch` returned it) has been written: removes it.
    package mutating func batchWritten(count: Int) {
        removeHead(count)
    }

    /// What a failed write leads to.
    package enum FailureOutcome: Equatable {
        /// The batch stays at the head, to be tried again at this time.
        case retry(at: Double)
        /// The batch had failed `maximumWriteAttempts` times and is gone: this many records dropped.
        case dropped(Int)
    }

    /// Writing the head batch (`count` records) failed at `now`.
    package mutating func batchFailed(count: Int, now: Double) -> FailureOutcome {
        failedAttempts += 1
        guard failedAttempts < Self.maximumWriteAttempts else {
            let dropped = min(count, records.count)
            removeHead(dropped)
            return .dropped(dropped)
        }
        retryAt = now + Self.retryDelay(afterFailures: failedAttempts)
        return .retry(at: retryAt)
    }

    /// Drops everything queued (at shutdown, when the store stays down); returns how many.
    package mutating func dropAll() -> Int {
        let dropped = records.count
        removeHead(dropped)
        return dropped
    }

    /// The wait after the `failures`-th failed write: 0.5 s, 1 s, 2 s, … at most 10 s.
    package static func retryDelay(afterFailures failures: Int) -> Double {
        var delay = firstRetryDelay
        for _ in 1..<max(1, failures) where delay < maximumRetryDelay { delay *= 2 }
        return min(delay, maximumRetryDelay)
    }

    private mutating func removeHead(_ count: Int) {
        records.removeFirst(min(count, records.count))
        failedAttempts = 0
        retryAt = 0
    }
}
