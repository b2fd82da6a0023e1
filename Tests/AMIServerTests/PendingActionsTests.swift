import Foundation
import XCTest

@testable import AMIServer

/// The pending-action count: only the start that takes a session back under its limit asks for a
/// wake-up, whichever threads count up and down.
final class PendingActionsTests: XCTestCase {
    func testOnlyTheStartThatUnblocksAsksForAWakeUp() {
        let pending = PendingActions()
        pending.add()
        XCTAssertFalse(pending.started(limit: 2), "under the limit: the session never stopped reading")
        pending.add()
        pending.add()
        XCTAssertEqual(pending.value, 2)
        XCTAssertTrue(pending.started(limit: 2), "at the limit: the session may be waiting")
        XCTAssertFalse(pending.started(limit: 2))
        XCTAssertEqual(pending.value, 0)
    }

    /// A session thread that stops adding at the limit until woken, and an engine thread that starts
    /// actions and wakes the session only when `started` says so: no wake-up is lost (the session
    /// would wait forever), and the count ends at zero. (The test above checks the exact condition.)
    func testASessionAtTheLimitIsAlwaysWoken() {
        let pending = PendingActions()
        let total = 5_000
        let limit = 3
        let work = DispatchSemaphore(value: 0)
        let wake = DispatchSemaphore(value: 0)
        let engine = Thread {
            for _ in 0..<total {
                work.wait()
                if pending.started(limit: limit) { wake.signal() }
            }
        }
        engine.start()
        var lost = false
        for _ in 0..<total where !lost {
            // A wake-up may be spurious (the session had not blocked yet): look at the count again.
            while pending.value >= limit {
                if wake.wait(timeout: .now() + 10) == .timedOut {
                    lost = true
                    break
                }
            }
            pending.add()
            work.signal()
        }
        XCTAssertFalse(lost, "the session waited 10 s at the limit for a wake-up that never came")
        let deadline = Date().addingTimeInterval(10)
        while pending.value != 0, Date() < deadline { usleep(1000) }
        XCTAssertEqual(pending.value, 0)
    }
}
