import NIOConcurrencyHelpers

/// The async actions a session has handed to the call engine and the engine has not yet started:
/// counted up on the session's loop, down on the engine's. Past `maximumPendingActions` the session
/// stops reading (backpressure), so one session cannot queue unbounded work on the engine.
///
/// Shared under a lock rather than confined to the session's loop, so that the engine's "started"
/// costs no hop to that loop: only the start that brings a blocked session back under the limit wakes
/// it. The session blocks only on a count it read at or above the limit, and the start that takes the
/// count below it finds it at the limit exactly, so no wake-up is lost.
final class PendingActions: Sendable {
    private let count = NIOLockedValueBox(0)

    var value: Int { count.withLockedValue { $0 } }

    func add() { count.withLockedValue { $0 += 1 } }

    /// One action started; true when it was the one that took the count below `limit` (the session
    /// may be waiting for it and must be resumed).
    func started(limit: Int) -> Bool {
        count.withLockedValue { count in
            count -= 1
            return count == limit - 1
        }
    }
}
