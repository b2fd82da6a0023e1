import HeapModule
import NIOCore

/// Timers of one event loop, kept in a heap of their own under a single NIO scheduled task (for the
/// earliest of them), for the owners that start and cancel a timer or more per message: the SIP
/// transaction layer (Timer A, B, E, F… of every transaction) and the call engine.
///
/// Why not `EventLoop.scheduleTask` for each: NIO's `Scheduled.cancel()` searches the loop's whole
/// queue of scheduled tasks, so cancelling costs as much as there are timers pending, and every call
/// cancels several (thousands are pending at 400 click-to-calls per second); each task also costs a
/// promise and its future. Here cancelling is a dictionary removal: the heap entry stays until its
/// deadline and is then dropped (the heap is rebuilt when such entries outnumber the live ones).
///
/// Long timers (a delay of `coarseFrom` or more) have their deadline rounded up to a multiple of
/// `grid`, so that the many started within one grid step fire in one wake-up of the loop instead of
/// one each: at 100 click-to-calls per second, Timers J, K, M and the Originate timeout alone woke the
/// engine's loop some 400 times a second. A timer is a lower bound (RFC 3261 §17), so firing up to one
/// grid step late is within its meaning; short timers (retransmissions from 500 ms, `Wait(0.3)`) keep
/// their precision.
///
/// Confined to its loop: every method is called on it, and bodies run on it.
package final class LoopTimerQueue {
    /// The delay from which a deadline is rounded up to the grid.
    package static let coarseFrom = TimeAmount.seconds(1)
    /// The grid step of long timers.
    package static let grid = TimeAmount.milliseconds(50)

    private struct Deadline: Comparable {
        let at: NIODeadline
        /// Schedule order, so that timers due together fire in the order they were started.
        let id: UInt64
        static func < (a: Self, b: Self) -> Bool { a.at == b.at ? a.id < b.id : a.at < b.at }
    }

    private let loop: any EventLoop
    private var deadlines = Heap<Deadline>()
    /// The bodies of the timers neither fired nor cancelled, by id.
    private var pending: [UInt64: () -> Void] = [:]
    private var lastID: UInt64 = 0
    /// The NIO task that fires the earliest deadline, and that deadline.
    private var armed: (at: NIODeadline, task: Scheduled<Void>)?
    /// Numbers the NIO tasks: one cancelled while already picked for the loop's current turn still
    /// runs, and must then do nothing (a later one is armed).
    private var armings: UInt64 = 0
    /// While due timers run: `arm` waits for the last of them.
    private var firing = false

    package init(loop: any EventLoop) {
        self.loop = loop
    }

    /// Timers started and neither fired nor cancelled.
    package var count: Int { pending.count }

    /// Runs `body` on the loop after `delay`, unless the returned timer is cancelled first.
    @discardableResult
    package func schedule(in delay: TimeAmount, _ body: @escaping () -> Void) -> LoopTimer {
        loop.preconditionInEventLoop()
        lastID &+= 1
        let deadline = Deadline(at: Self.deadline(after: delay, from: loop.now), id: lastID)
        pending[deadline.id] = body
        deadlines.insert(deadline)
        arm()
        return LoopTimer(id: deadline.id, queue: self)
    }

    /// `now + delay`, rounded up to the grid when `delay` is long.
    package static func deadline(after delay: TimeAmount, from now: NIODeadline) -> NIODeadline {
        let exact = now + delay
        guard delay >= coarseFrom else { return exact }
        // At most `Int64.max` (NIODeadline clamps), so adding a step cannot overflow.
        let step = UInt64(grid.nanoseconds)
        let remainder = exact.uptimeNanoseconds % step
        return remainder == 0 ? exact : .uptimeNanoseconds(exact.uptimeNanoseconds - remainder + step)
    }

    /// `schedule` with a loop-confined object held weakly: nothing runs once it is gone.
    @discardableResult
    package func schedule<T: AnyObject>(in delay: TimeAmount, _ object: T, _ body: @escaping (T) -> Void) -> LoopTimer {
        schedule(in: delay) { [weak object] in
            if let object { body(object) }
        }
    }

    fileprivate func isPending(_ id: UInt64) -> Bool {
        loop.assertInEventLoop()
        return pending[id] != nil
    }

    fileprivate func cancel(_ id: UInt64) {
        loop.assertInEventLoop()
        guard pending.removeValue(forKey: id) != nil else { return }
        // Cancelled entries wait in the heap for their deadline; rebuild it when they are most of it.
        if deadlines.count > 1024, deadlines.count > 2 * pending.count {
            deadlines = Heap(deadlines.unordered.filter { pending[$0.id] != nil })
            arm()
        }
    }

    /// Cancels every timer (the owner is shutting down).
    package func cancelAll() {
        pending = [:]
        deadlines = Heap()
        armed?.task.cancel()
        armed = nil
    }

    /// Makes the NIO task fire at the earliest live deadline.
    private func arm() {
        guard !firing else { return }
        while let first = deadlines.min, pending[first.id] == nil { deadlines.removeMin() }
        guard let first = deadlines.min else {
            armed?.task.cancel()
            armed = nil
            return
        }
        if let armed, armed.at <= first.at { return }
        armed?.task.cancel()
        armings &+= 1
        let bound = NIOLoopBound((WeakBox(self), armings), eventLoop: loop)
        armed = (
            first.at,
            loop.scheduleTask(deadline: first.at) {
                let (queue, arming) = bound.value
                queue.value?.fire(arming: arming)
            }
        )
    }

    private func fire(arming: UInt64) {
        guard arming == armings else { return }
        armed = nil
        firing = true
        let now = loop.now
        while let first = deadlines.min, first.at <= now {
            deadlines.removeMin()
            // A body may cancel or start other timers, the ones due now included.
            if let body = pending.removeValue(forKey: first.id) { body() }
        }
        firing = false
        arm()
    }
}

/// A timer started on a `LoopTimerQueue`; `cancel()` on the queue's loop.
package struct LoopTimer {
    fileprivate let id: UInt64
    fileprivate weak var queue: LoopTimerQueue?

    package func cancel() { queue?.cancel(id) }

    /// Neither fired nor cancelled; on the queue's loop.
    package var isPending: Bool { queue?.isPending(id) ?? false }
}
