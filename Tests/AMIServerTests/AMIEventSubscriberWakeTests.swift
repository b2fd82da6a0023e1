import AMI
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import XCTest

@testable import AMIServer

/// A session's wake-ups: the events one event-loop task publishes wake a session on another loop
/// once, after the task, not once per event its loop happened to drain meanwhile.
final class AMIEventSubscriberWakeTests: XCTestCase {
    private var group: MultiThreadedEventLoopGroup!

    override func setUp() {
        group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
    }

    override func tearDown() {
        try? group.syncShutdownGracefully()
    }

    /// A subscriber on `loop` whose wake-up drains its queue as the session does; counts wake-ups and events.
    private func makeSubscriber(on loop: any EventLoop) -> (AMIEventSubscriber, wakes: NIOLockedValueBox<Int>, taken: NIOLockedValueBox<Int>) {
        let wakes = NIOLockedValueBox(0)
        let taken = NIOLockedValueBox(0)
        let holder = NIOLockedValueBox<AMIEventSubscriber?>(nil)
        let subscriber = AMIEventSubscriber(
            tenant: UUID(), username: "crm", remoteAddress: "127.0.0.1", since: 0, filter: .all, eventLoop: loop, limit: 1_000,
            close: {},
            wake: { _ in
                wakes.withLockedValue { $0 += 1 }
                let events = holder.withLockedValue { $0 }?.takeQueued().events ?? []
                taken.withLockedValue { $0 += events.count }
            })
        holder.withLockedValue { $0 = subscriber }
        return (subscriber, wakes, taken)
    }

    private func waitUntil(_ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(5)
        while !condition() {
            if Date() > deadline { return false }
            usleep(1_000)
        }
        return true
    }

    func testEventsPublishedInOneLoopTaskWakeTheSessionOnce() throws {
        let loops = Array(group.makeIterator())
        let (subscriber, wakes, taken) = makeSubscriber(on: loops[1])
        let event = ByteBuffer(string: "Event: Newstate\r\n\r\n")
        // Slow enough that the session's loop, on the other thread, would wake and drain in between.
        try loops[0].submit {
            for _ in 0..<40 {
                subscriber.deliver(event, classes: .call)
                usleep(250)
            }
        }.wait()
        XCTAssertTrue(waitUntil { taken.withLockedValue { $0 } == 40 }, "every event is delivered")
        XCTAssertEqual(wakes.withLockedValue { $0 }, 1, "one wake-up for one publishing task")

        // The next task's events wake it again.
        try loops[0].submit { subscriber.deliver(event, classes: .call) }.wait()
        XCTAssertTrue(waitUntil { taken.withLockedValue { $0 } == 41 })
        XCTAssertEqual(wakes.withLockedValue { $0 }, 2)
    }

    func testEventsPublishedOffTheLoopsWakeTheSessionToo() throws {
        let (subscriber, wakes, taken) = makeSubscriber(on: group.next())
        subscriber.deliver(ByteBuffer(string: "Event: UserEvent\r\n\r\n"), classes: .user)
        XCTAssertTrue(waitUntil { taken.withLockedValue { $0 } == 1 })
        XCTAssertEqual(wakes.withLockedValue { $0 }, 1)
    }
}
