import Foundation
import PBX
import XCTest

@testable import Calls

/// The CDR writer's queue: bounded, a failed batch kept at the head and retried with backoff, dropped
/// after `maximumWriteAttempts` failures.
final class CDRWriteQueueTests: XCTestCase {
    let tenant = UUID()

    func records(_ range: Range<Int>) -> [CallDetailRecord] {
        range.map { i in
            CallDetailRecord(
                tenant: tenant, start: Double(i), answer: nil, end: Double(i) + 1, source: "100", destination: "101",
                destinationContext: "internal", callerID: "\"\" <100>", channel: "PJSIP/100-\(i)", destinationChannel: "",
                lastApplication: "Dial", lastData: "", disposition: .noAnswer, accountCode: "", uniqueID: "\(i)", linkedID: "\(i)")
        }
    }

    func testQueueIsBoundedAndBatchesAreTheHead() {
        var queue = CDRWriteQueue(limit: 700)
        XCTAssertNil(queue.nextBatch(now: 0))
        XCTAssertEqual(queue.append(records(0..<600)), 0)
        XCTAssertEqual(queue.append(records(600..<800)), 100, "only 100 fit")
        XCTAssertEqual(queue.count, 700)
        let first = queue.nextBatch(now: 0)
        XCTAssertEqual(first?.map(\.uniqueID), records(0..<500).map(\.uniqueID))
        queue.batchWritten(count: 500)
        XCTAssertEqual(queue.nextBatch(now: 0)?.map(\.uniqueID), records(500..<700).map(\.uniqueID))
    }

    /// A failed batch is not lost: it stays first, in order, and is tried again only when its backoff
    /// has passed; records queued meanwhile follow it, and the batch counts toward the limit.
    func testFailedBatchStaysAtTheHeadAndWaitsForItsRetry() {
        var queue = CDRWriteQueue(limit: 10)
        _ = queue.append(records(0..<3))
        let batch = queue.nextBatch(now: 100)!
        XCTAssertEqual(queue.batchFailed(count: batch.count, now: 100), .retry(at: 100.5))
        XCTAssertNil(queue.nextBatch(now: 100.4), "tried again before its backoff")
        XCTAssertEqual(queue.append(records(3..<20)), 10, "the failed batch still takes room")
        XCTAssertEqual(queue.nextBatch(now: 100.5)?.map(\.uniqueID), records(0..<10).map(\.uniqueID))
        XCTAssertEqual(queue.batchFailed(count: 10, now: 100.5), .retry(at: 101.5), "the delay doubles")
        queue.batchWritten(count: 10)
        XCTAssertEqual(queue.count, 0)
        XCTAssertEqual(queue.failedAttempts, 0)
        _ = queue.append(records(20..<21))
        XCTAssertNotNil(queue.nextBatch(now: 0), "a written batch resets the backoff")
    }

    func testBackoffDoublesUpToTenSeconds() {
        XCTAssertEqual((1...8).map(CDRWriteQueue.retryDelay(afterFailures:)), [0.5, 1, 2, 4, 8, 10, 10, 10])
    }

    /// After `maximumWriteAttempts` failures the batch is dropped (and only it); the next starts afresh.
    func testBatchIsDroppedAfterTheLastAttempt() {
        var queue = CDRWriteQueue(limit: 1000)
        _ = queue.append(records(0..<600))
        var now = 0.0
        var outcomes: [CDRWriteQueue.FailureOutcome] = []
        while outcomes.last.map({ if case .dropped = $0 { false } else { true } }) ?? true {
            guard let batch = queue.nextBatch(now: now) else {
                now += 0.25
                continue
            }
            XCTAssertEqual(batch.first?.uniqueID, "0")
            outcomes.append(queue.batchFailed(count: batch.count, now: now))
        }
        XCTAssertEqual(outcomes.count, CDRWriteQueue.maximumWriteAttempts)
        XCTAssertEqual(outcomes.last, .dropped(500))
        XCTAssertGreaterThanOrEqual(now, 55, "tried over about 55 s")
        XCTAssertEqual(queue.count, 100)
        XCTAssertEqual(queue.nextBatch(now: now)?.first?.uniqueID, "500", "the next batch is tried at once")
        XCTAssertEqual(queue.dropAll(), 100)
        XCTAssertNil(queue.nextBatch(now: now))
    }
}
