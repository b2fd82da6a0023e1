import NIOCore
import NIOEmbedded
import NIOPosix
import NodeSupport
import XCTest

/// `LoopTimerQueue` on the manual clock of an `EmbeddedEventLoop`, then on a real loop.
final class LoopTimerQueueTests: XCTestCase {
    private final class Target {}

    func testTimersFireInDeadlineOrderAndTiesInStartOrder() {
        let loop = EmbeddedEventLoop()
        let queue = LoopTimerQueue(loop: loop)
        var fired: [String] = []
        queue.schedule(in: .seconds(3)) { fired.append("3s") }
        queue.schedule(in: .seconds(1)) { fired.append("1s-a") }
        queue.schedule(in: .seconds(2)) { fired.append("2s") }
        queue.schedule(in: .seconds(1)) { fired.append("1s-b") }
        loop.advanceTime(by: .milliseconds(999))
        XCTAssertEqual(fired, [])
        loop.advanceTime(by: .milliseconds(1))
        XCTAssertEqual(fired, ["1s-a", "1s-b"])
        loop.advanceTime(by: .seconds(5))
        XCTAssertEqual(fired, ["1s-a", "1s-b", "2s", "3s"])
        XCTAssertEqual(queue.count, 0)
    }

    func testAnEarlierTimerStartedLaterFiresOnTime() {
        let loop = EmbeddedEventLoop()
        let queue = LoopTimerQueue(loop: loop)
        var fired: [String] = []
        queue.schedule(in: .seconds(32)) { fired.append("32s") }
        queue.schedule(in: .milliseconds(500)) { fired.append("500ms") }
        loop.advanceTime(by: .milliseconds(500))
        XCTAssertEqual(fired, ["500ms"])
        loop.advanceTime(by: .seconds(32))
        XCTAssertEqual(fired, ["500ms", "32s"])
    }

    /// Long timers started within one grid step fire together, never early; short ones keep their
    /// precision.
    func testLongTimersShareTheGridAndShortOnesDoNot() {
        let loop = EmbeddedEventLoop()
        loop.advanceTime(to: .uptimeNanoseconds(1_003_000_000))
        let queue = LoopTimerQueue(loop: loop)
        var fired: [String] = []
        queue.schedule(in: .seconds(10)) { fired.append("10s") }
        loop.advanceTime(by: .milliseconds(20))
        queue.schedule(in: .milliseconds(9_990)) { fired.append("9.99s") }
        queue.schedule(in: .milliseconds(300)) { fired.append("300ms") }
        // Started at 1.023 s: due at 1.323 s exactly.
        loop.advanceTime(by: .milliseconds(299))
        XCTAssertEqual(fired, [])
        loop.advanceTime(by: .milliseconds(1))
        XCTAssertEqual(fired, ["300ms"])
        // Due at 11.003 s and 11.013 s: both at the grid's 11.05 s, in start order.
        loop.advanceTime(to: .uptimeNanoseconds(11_049_000_000))
        XCTAssertEqual(fired, ["300ms"], "not before the grid point")
        loop.advanceTime(by: .milliseconds(1))
        XCTAssertEqual(fired, ["300ms", "10s", "9.99s"])
    }

    func testTheGridNeverMovesADeadlineEarlierNorPastOneStep() {
        let step = LoopTimerQueue.grid.nanoseconds
        for start in [0, 1, 49_999_999, 50_000_000, 123_456_789] as [Int64] {
            for delay in [TimeAmount.seconds(1), .milliseconds(1_001), .seconds(32), .milliseconds(999)] {
                let now = NIODeadline.uptimeNanoseconds(UInt64(start))
                let exact = now + delay
                let deadline = LoopTimerQueue.deadline(after: delay, from: now)
                XCTAssertGreaterThanOrEqual(deadline, exact)
                if delay >= LoopTimerQueue.coarseFrom {
                    XCTAssertLessThan((deadline - exact).nanoseconds, step)
                    XCTAssertEqual(Int64(deadline.uptimeNanoseconds) % step, 0)
                } else {
                    XCTAssertEqual(deadline, exact)
                }
            }
        }
    }

    func testACancelledTimerNeverFiresAndCancellingTwiceOrLateIsHarmless() {
        let loop = EmbeddedEventLoop()
        let queue = LoopTimerQueue(loop: loop)
        var fired: [String] = []
        let first = queue.schedule(in: .seconds(1)) { fired.append("first") }
        let second = queue.schedule(in: .seconds(2)) { fired.append("second") }
        first.cancel()
        first.cancel()
        XCTAssertEqual(queue.count, 1)
        loop.advanceTime(by: .seconds(3))
        XCTAssertEqual(fired, ["second"])
        second.cancel()
        XCTAssertEqual(queue.count, 0)
    }

    func testATimerMayCancelOrStartOthersDueAtTheSameTime() {
        let loop = EmbeddedEventLoop()
        let queue = LoopTimerQueue(loop: loop)
        var fired: [String] = []
        var victim: LoopTimer?
        queue.schedule(in: .seconds(1)) {
            fired.append("canceller")
            victim?.cancel()
            queue.schedule(in: .seconds(1)) { fired.append("started") }
        }
        victim = queue.schedule(in: .seconds(1)) { fired.append("victim") }
        loop.advanceTime(by: .seconds(1))
        XCTAssertEqual(fired, ["canceller"])
        loop.advanceTime(by: .seconds(1))
        XCTAssertEqual(fired, ["canceller", "started"])
    }

    func testNothingRunsForAnObjectThatIsGone() {
        let loop = EmbeddedEventLoop()
        let queue = LoopTimerQueue(loop: loop)
        var fired = 0
        var target: Target? = Target()
        queue.schedule(in: .seconds(1), target!) { _ in fired += 1 }
        let kept = Target()
        queue.schedule(in: .seconds(1), kept) { _ in fired += 10 }
        target = nil
        loop.advanceTime(by: .seconds(1))
        XCTAssertEqual(fired, 10)
        XCTAssertNil(target)
    }

    /// Cancelled timers wait in the heap for their deadline; when they are most of it, it is rebuilt,
    /// and the live timers still fire, in order.
    func testManyCancellationsLeaveTheLiveTimersFiringInOrder() {
        let loop = EmbeddedEventLoop()
        let queue = LoopTimerQueue(loop: loop)
        var fired: [Int] = []
        var timers: [LoopTimer] = []
        for index in 0..<10_000 {
            timers.append(queue.schedule(in: .milliseconds(Int64(10_000 - index))) { fired.append(index) })
        }
        for (index, timer) in timers.enumerated() where index % 100 != 0 { timer.cancel() }
        XCTAssertEqual(queue.count, 100)
        loop.advanceTime(by: .seconds(11))
        XCTAssertEqual(fired, stride(from: 9_900, through: 0, by: -100).map { $0 })
        XCTAssertEqual(queue.count, 0)
    }

    func testCancelAllStopsEveryTimer() {
        let loop = EmbeddedEventLoop()
        let queue = LoopTimerQueue(loop: loop)
        var fired = 0
        for _ in 0..<5 { queue.schedule(in: .seconds(1)) { fired += 1 } }
        queue.cancelAll()
        loop.advanceTime(by: .seconds(2))
        XCTAssertEqual(fired, 0)
        XCTAssertEqual(queue.count, 0)
    }

    /// On a real loop: the timers fire on time (with a wide margin) and a cancelled one does not.
    func testOnARealLoop() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let loop = group.next()
        let fired = try loop.submit { () -> EventLoopFuture<[String]> in
            let queue = LoopTimerQueue(loop: loop)
            let promise = loop.makePromise(of: [String].self)
            var fired: [String] = []
            let cancelled = queue.schedule(in: .milliseconds(20)) { fired.append("cancelled") }
            queue.schedule(in: .milliseconds(50)) {
                fired.append("50ms")
                promise.succeed(fired)
            }
            queue.schedule(in: .milliseconds(10)) { fired.append("10ms") }
            cancelled.cancel()
            // The queue must outlive its timers: the future's callback keeps it.
            return promise.futureResult.map { fired in
                _ = queue
                return fired
            }
        }.flatMap { $0 }.wait()
        XCTAssertEqual(fired, ["10ms", "50ms"])
    }
}
