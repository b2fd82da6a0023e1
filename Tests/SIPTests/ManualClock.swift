@testable import SIP

/// A manual clock for transaction tests: records what a machine asks for, keeps the running
/// timers with their due times, and fires them in order when time is advanced.
struct ManualClock {
    private(set) var now: Int64 = 0
    private(set) var timers: [SIPTimer: Int64] = [:]
    /// Every non-timer action, stamped with the time it happened (µs).
    private(set) var log: [(time: Int64, action: SIPTransactionAction)] = []

    /// Applies timer actions and logs the others.
    mutating func apply(_ actions: [SIPTransactionAction]) {
        for action in actions {
            switch action {
            case .startTimer(let timer, let after):
                timers[timer] = now + after
            case .cancelTimer(let timer):
                timers[timer] = nil
            case .send, .passToTU, .timeout, .transportError, .terminated:
                log.append((now, action))
            }
        }
    }

    /// Advances to `time`, firing due timers in order through `fire`.
    mutating func advance(to time: Int64, fire: (SIPTimer) -> [SIPTransactionAction]) {
        while let (timer, due) = timers.filter({ $0.value <= time }).min(by: { $0.value < $1.value }) {
            now = due
            timers[timer] = nil
            apply(fire(timer))
        }
        now = time
    }

    /// Times (in ms) at which messages were sent.
    var sendTimes: [Int64] {
        log.compactMap { if case .send = $0.action { return $0.time / 1000 } else { return nil } }
    }

    var sentMessages: [SIPMessage] {
        log.compactMap { if case .send(let message) = $0.action { return message } else { return nil } }
    }

    var passedToTU: [SIPMessage] {
        log.compactMap { if case .passToTU(let message) = $0.action { return message } else { return nil } }
    }

    func contains(_ action: SIPTransactionAction) -> Bool {
        log.contains { $0.action == action }
    }

    /// Time (ms) of the first `action`.
    func time(of action: SIPTransactionAction) -> Int64? {
        log.first { $0.action == action }.map { $0.time / 1000 }
    }
}
