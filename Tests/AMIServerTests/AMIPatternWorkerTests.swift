import NIOConcurrencyHelpers
import NIOCore
import PBX
import XCTest

@testable import AMIServer

/// The AMI pattern worker: sessions take turns of one time slice (manual clock), and a filter batch cut
/// into steps gives `AMIEventFilterSet.shouldSend`'s answers, in order.
final class AMIPatternWorkerTests: XCTestCase {
    /// A manual monotonic clock, in nanoseconds.
    final class Clock: Sendable {
        private let value = NIOLockedValueBox<Int64>(0)
        var now: Int64 { value.withLockedValue { $0 } }
        func advance(milliseconds: Int64) { value.withLockedValue { $0 += milliseconds * 1_000_000 } }
    }

    /// A session's work: `steps` steps of `stepCost` milliseconds each, logged as `name` + step index.
    final class FakeJob: AMIPatternJob, @unchecked Sendable {
        let name: String
        let steps: Int
        let stepCost: Int64
        let clock: Clock
        let log: NIOLockedValueBox<[String]>
        var done = 0
        var finished = false
        var cancelled = false
        var abandoned = false

        init(_ name: String, steps: Int, stepCost: Int64, clock: Clock, log: NIOLockedValueBox<[String]>) {
            self.name = name
            self.steps = steps
            self.stepCost = stepCost
            self.clock = clock
            self.log = log
        }

        var isAbandoned: Bool { abandoned }
        func step() -> Bool {
            log.withLockedValue { $0.append("\(name)\(done)") }
            clock.advance(milliseconds: stepCost)
            done += 1
            return done == steps
        }
        func finish() { finished = true }
        func cancel() { cancelled = true }
    }

    func makeWorker() -> (AMIPatternWorker, Clock, NIOLockedValueBox<[String]>) {
        let clock = Clock()
        return (AMIPatternWorker(manualClock: { clock.now }, slice: .milliseconds(5)), clock, NIOLockedValueBox([]))
    }

    /// A heavy session runs for one slice (the step under way ends), then a session queued behind it runs.
    func testAJobRunsOneSliceThenGoesToTheBackOfTheQueue() {
        let (worker, clock, log) = makeWorker()
        let heavy = FakeJob("A", steps: 100, stepCost: 2, clock: clock, log: log)
        let light = FakeJob("B", steps: 3, stepCost: 1, clock: clock, log: log)
        worker.submit(heavy)
        worker.submit(light)
        XCTAssertTrue(worker.runTurn())
        XCTAssertEqual(log.withLockedValue { $0 }, ["A0", "A1", "A2"], "2 + 2 < 5 ms, the third step ends at 6 ms")
        XCTAssertFalse(heavy.finished)
        XCTAssertEqual(worker.waiting, 2, "the heavy job went behind the light one")
        XCTAssertTrue(worker.runTurn())
        XCTAssertTrue(light.finished, "the light session's whole batch ran in its turn")
        XCTAssertEqual(log.withLockedValue { $0 }, ["A0", "A1", "A2", "B0", "B1", "B2"])
        while worker.runTurn() {}
        XCTAssertTrue(heavy.finished)
        XCTAssertEqual(log.withLockedValue { $0 }.filter { $0.hasPrefix("A") }, (0..<100).map { "A\($0)" }, "a session's steps keep their order")
        XCTAssertFalse(worker.runTurn(), "nothing left")
    }

    /// Three sessions in a round robin: one session's heavy work delays another by one slice per busy
    /// session, however long its batch is; a step longer than the slice is one turn.
    func testSessionsTakeTurnsRoundRobin() {
        let (worker, clock, log) = makeWorker()
        let first = FakeJob("A", steps: 1000, stepCost: 1, clock: clock, log: log)
        let second = FakeJob("C", steps: 10, stepCost: 30, clock: clock, log: log)
        let late = FakeJob("B", steps: 1, stepCost: 1, clock: clock, log: log)
        worker.submit(first)
        worker.submit(second)
        worker.submit(late)
        while !late.finished, worker.runTurn() {}
        XCTAssertTrue(late.finished)
        // B waited for one turn of each busy session: A's slice (five 1 ms steps) and C's one 30 ms step.
        XCTAssertEqual(log.withLockedValue { $0 }, ["A0", "A1", "A2", "A3", "A4", "C0", "B0"])
        XCTAssertEqual(clock.now, 36 * 1_000_000)
        // Then A and C alternate: A five 1 ms steps a turn, C one 30 ms step.
        log.withLockedValue { $0 = [] }
        for _ in 0..<4 { worker.runTurn() }
        XCTAssertEqual(log.withLockedValue { $0 }, ["A5", "A6", "A7", "A8", "A9", "C1", "A10", "A11", "A12", "A13", "A14", "C2"])
        while worker.runTurn() {}
        XCTAssertTrue(first.finished && second.finished)
    }

    /// A job of a session that closed is dropped at its turn without running.
    func testAnAbandonedJobIsCancelledNotRun() {
        let (worker, clock, log) = makeWorker()
        let gone = FakeJob("A", steps: 100, stepCost: 2, clock: clock, log: log)
        worker.submit(gone)
        worker.runTurn()
        gone.abandoned = true
        worker.runTurn()
        XCTAssertTrue(gone.cancelled)
        XCTAssertFalse(gone.finished)
        XCTAssertEqual(log.withLockedValue { $0 }.count, 3, "no step after the session left")
        XCTAssertFalse(worker.runTurn())
    }

    /// A filter batch cut into one-filter steps keeps `shouldSend`'s answers and the events' order.
    func testFilterJobStepsAgreeWithShouldSend() throws {
        let events = [
            "Event: Hangup\r\nPrivilege: call,all\r\nChannel: PJSIP/100-00000001\r\n\r\n",
            "Event: Hangup\r\nPrivilege: call,all\r\nChannel: Local/100@c2c-00000001;1\r\n\r\n",
            "Event: Newchannel\r\nPrivilege: call,all\r\nChannel: PJSIP/100-00000001\r\n\r\n",
            "Event: UserEvent\r\nPrivilege: user,all\r\nUserEvent: Wanted\r\nFoo: drop\r\n\r\n",
            "Event: UserEvent\r\nPrivilege: user,all\r\nUserEvent: Wanted2\r\n\r\n",
        ].map { ByteBuffer(string: $0) }
        let filterLists: [[String]] = [
            ["Event: (Hangup|UserEvent)"],
            ["!Channel: Local/.*"],
            ["Event: Hang.p", "UserEvent: Want[a-z]+", "!Foo: dr.p", "!Channel: Local/"],
            ["!Privilege: u.er", "!Channel: PJ.IP"],
            ["Event: Nothing.*", "Event: Nomatch[0-9]"],
            ["Channel: .*", "Event: .*", "!Foo: .*"],
        ]
        for list in filterLists {
            var filters = AMIEventFilterSet()
            for line in list { filters.add(try AMIEventFilter(configured: line)) }
            XCTAssertTrue(filters.usesRegex, "\(list)")
            let expected = events.filter { AMIEventSubscriber.passes($0, filters) }
            let job = AMIEventFilterJob(events: events, filters: filters, channel: nil, promise: nil)
            var steps = 0
            while !job.step() { steps += 1 }
            XCTAssertEqual(job.passed, expected, "\(list)")
            XCTAssertGreaterThanOrEqual(steps + 1, events.count, "at least one step per event")
            XCTAssertLessThanOrEqual(steps + 1, events.count * list.count, "at most one step per filter and event")
        }
    }

    /// With threads: every job submitted finishes, and `shutdown` stops the worker.
    func testThreadedWorkerFinishesEveryJob() async throws {
        let worker = AMIPatternWorker(threads: 1)
        let clock = Clock()
        let log = NIOLockedValueBox<[String]>([])
        let jobs = (0..<4).map { FakeJob("J\($0)-", steps: 50, stepCost: 1, clock: clock, log: log) }
        for job in jobs { worker.submit(job) }
        let deadline = Date().addingTimeInterval(10)
        while log.withLockedValue({ $0.count }) < 200, Date() < deadline { try await Task.sleep(for: .milliseconds(10)) }
        try await Task.sleep(for: .milliseconds(50))
        await worker.shutdown()
        XCTAssertEqual(log.withLockedValue { $0.count }, 200)
        XCTAssertTrue(jobs.allSatisfy(\.finished))
    }
}
