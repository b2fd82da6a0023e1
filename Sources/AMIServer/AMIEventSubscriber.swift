import AMI
import Foundation
import NIOConcurrencyHelpers
import NIOCore

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
        var queue: [ByteBuffer] = []
        var wakeScheduled = false
        var overflowed = false
    }

    init(
        tenant: UUID, username: String, remoteAddress: String, since: Double, entry: AMIDirectory.Entry? = nil, filter: AMIPermissions,
        eventLoop: any EventLoop, limit: Int, close: @escaping @Sendable () -> Void, wake: @escaping @Sendable (_ overflowed: Bool) -> Void
    ) {
        self.tenant = tenant
        self.entry = entry
        self.username = username
        self.remoteAddress = remoteAddress
        self.since = since
        self.close = close
        self.eventLoop = eventLoop
        self.limit = limit
        self.state = NIOLockedValueBox(State(filter: filter))
        self.wake = wake
    }

    func setFilter(_ filter: AMIPermissions) {
        state.withLockedValue { $0.filter = filter }
    }

    /// Queues `event` if this session takes events of `classes`.
    func deliver(_ event: ByteBuffer, classes: AMIPermissions) {
        let shouldWake: Bool? = state.withLockedValue { state in
            guard !state.overflowed, state.filter.isSuperset(of: classes) else { return nil }
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
        let wake = self.wake
        eventLoop.execute { wake(overflowed) }
    }

    /// Takes every queued event (on the session's event loop).
    func takeQueued() -> [ByteBuffer] {
        let queued = state.withLockedValue { state in
            state.wakeScheduled = false
            defer { state.queue = [] }
            return state.queue
        }
        AMIMetrics.eventQueueDepth.record(queued.count)
        return queued
    }

    /// Marks the wake-up handled without taking events (the socket is not writable yet).
    func wakeHandled() {
        state.withLockedValue { $0.wakeScheduled = false }
    }

    var hasQueued: Bool { state.withLockedValue { !$0.queue.isEmpty } }
}
