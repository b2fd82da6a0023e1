import AMI
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import PBX

/// One logged-in session as the event bus sees it: which events it takes and a bounded queue of
/// encoded events waiting to be written. The bus may deliver from any thread; the session drains
/// the queue on its own event loop.
final class AMIEventSubscriber: Sendable {
    let tenant: UUID
    /// Who is connected, for the admin panel: the AMI user, the client address, since when.
    let username: String
    let remoteAddress: String
    let since: Double
    /// The directory entry the session logged in with: when the directory changes so that it would no
    /// longer admit the session (password, ACL, classes, user removed or disabled), the session ends.
    let entry: AMIDirectory.Entry?
    /// Closes the session's connection (when its user or the tenant's AMI service is disabled).
    let close: @Sendable () -> Void
    private let eventLoop: any EventLoop
    private let limit: Int
    private let state: NIOLockedValueBox<State>
    /// Called on the session's event loop when events are waiting, or with `overflowed` when the queue is full.
    private let wake: @Sendable (_ overflowed: Bool) -> Void

    private struct State {
        /// Read permissions ∩ the session's event mask: an event is taken when all its classes are in it.
        var filter: AMIPermissions
        /// The session's event filters (`Filter`, the user's `eventfilter`): filters without a regex are
        /// applied here, as the event is delivered; a set with a regex is handed out by `takeQueued` with
        /// the events and run by the session on the AMI pattern worker (never on an event loop).
        var eventFilters = AMIEventFilterSet()
        var queue: [ByteBuffer] = []
        var wakeScheduled = false
        var overflowed = false
    }

    init(
        tenant: UUID, username: String, remoteAddress: String, since: Double, entry: AMIDirectory.Entry? = nil, filter: AMIPermissions,
        eventFilters: AMIEventFilterSet = AMIEventFilterSet(), eventLoop: any EventLoop, limit: Int, close: @escaping @Sendable () -> Void,
        wake: @escaping @Sendable (_ overflowed: Bool) -> Void
    ) {
        self.tenant = tenant
        self.entry = entry
        self.username = username
        self.remoteAddress = remoteAddress
        self.since = since
        self.close = close
        self.eventLoop = eventLoop
        self.limit = limit
        self.state = NIOLockedValueBox(State(filter: filter, eventFilters: eventFilters))
        self.wake = wake
    }

    func setFilter(_ filter: AMIPermissions) {
        state.withLockedValue { $0.filter = filter }
    }

    /// Adds an event filter unless the session holds `limit` already; false when refused.
    func addEventFilter(_ filter: AMIEventFilter, limit: Int) -> Bool {
        state.withLockedValue { state in
            guard state.eventFilters.count < limit else { return false }
            state.eventFilters.add(filter)
            return true
        }
    }

    /// Whether this session takes events of `classes` now (`deliver` checks again).
    func takes(_ classes: AMIPermissions) -> Bool {
        state.withLockedValue { !$0.overflowed && $0.filter.isSuperset(of: classes) }
    }

    /// Queues `event` if this session takes events of `classes` (and, for filters without a regex, passes them).
    func deliver(_ event: ByteBuffer, classes: AMIPermissions) {
        let shouldWake: Bool? = state.withLockedValue { state in
            guard !state.overflowed, state.filter.isSuperset(of: classes) else { return nil }
            if !state.eventFilters.isEmpty, !state.eventFilters.usesRegex, !Self.passes(event, state.eventFilters) {
                AMIMetrics.eventsFiltered.increment()
                return nil
            }
            if state.queue.count >= limit {
                state.overflowed = true
                state.queue = []
                AMIMetrics.eventQueueOverflows.increment()
                return true
            }
            state.queue.append(event)
            if state.wakeScheduled { return nil }
            state.wakeScheduled = true
            return false
        }
        guard let overflowed = shouldWake else { return }
        if !overflowed, let publisher = MultiThreadedEventLoopGroup.currentEventLoop {
            PendingWakes.add(self, publisher: publisher)
            return
        }
        wakeNow(overflowed: overflowed)
    }

    /// Hands the wake-up to the session's loop.
    fileprivate func wakeNow(overflowed: Bool) {
        let wake = self.wake
        eventLoop.execute { wake(overflowed) }
    }

    /// Takes every queued event (on the session's event loop), with the session's filters when they use
    /// a regex: those events have not been filtered yet.
    func takeQueued() -> (events: [ByteBuffer], regexFilters: AMIEventFilterSet?) {
        let (queued, filters) = state.withLockedValue { state in
            state.wakeScheduled = false
            defer { state.queue = [] }
            return (state.queue, state.eventFilters)
        }
        AMIMetrics.eventQueueDepth.record(queued.count)
        return (queued, filters.usesRegex ? filters : nil)
    }

    static func passes(_ event: ByteBuffer, _ filters: AMIEventFilterSet) -> Bool {
        event.withUnsafeReadableBytes { raw in filters.shouldSend(raw.assumingMemoryBound(to: UInt8.self)) }
    }

    /// Marks the wake-up handled without taking events (the socket is not writable yet).
    func wakeHandled() {
        state.withLockedValue { $0.wakeScheduled = false }
    }

    var hasQueued: Bool { state.withLockedValue { !$0.queue.isEmpty } }
}

/// The sessions that events published on one event loop's thread must wake, gathered until that
/// loop has finished what it is running (one task queued on the publishing loop itself, no system
/// call): a SIP message handled on the call loop publishes several events, and each session is
/// woken once for all of them instead of being woken, drained and written to for the first one while
/// the rest are still being published (the sessions' loops run on the other cores).
private final class PendingWakes: @unchecked Sendable {
    // Unchecked: one instance per thread, used on that thread only (the task below runs there).
    private static let perThread = ThreadSpecificVariable<PendingWakes>()
    private var subscribers: [AMIEventSubscriber] = []

    static func add(_ subscriber: AMIEventSubscriber, publisher: any EventLoop) {
        let pending: PendingWakes
        if let existing = perThread.currentValue {
            pending = existing
        } else {
            pending = PendingWakes()
            perThread.currentValue = pending
        }
        pending.subscribers.append(subscriber)
        if pending.subscribers.count == 1 { publisher.execute { pending.wakeAll() } }
    }

    private func wakeAll() {
        let woken = subscribers
        subscribers = []
        for subscriber in woken { subscriber.wakeNow(overflowed: false) }
    }
}
