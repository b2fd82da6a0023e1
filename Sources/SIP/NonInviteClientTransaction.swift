/// The non-INVITE client transaction of RFC 3261 §17.1.2 (REGISTER, OPTIONS, BYE, ...).
///
/// On unreliable transports the request is retransmitted on Timer E, doubling from T1 up to T2
/// (and at T2 once a provisional response arrived). Timer F ends the wait. The final response
/// goes to the TU; retransmissions of it are absorbed until Timer K.
public struct NonInviteClientTransaction: Sendable {
    private enum State: Sendable {
        case idle
        case trying(interval: Int64)
        case proceeding
        case completed
        case terminated
    }

    public let request: SIPRequest
    public let isReliable: Bool
    public let timers: SIPTimerSettings
    private var state: State = .idle

    public init(request: SIPRequest, reliable: Bool, timers: SIPTimerSettings = SIPTimerSettings()) {
        self.request = request
        self.isReliable = reliable
        self.timers = timers
    }

    public var isTerminated: Bool {
        if case .terminated = state { return true }
        return false
    }

    /// Sends the request and starts Timer E (unreliable only) and Timer F.
    public mutating func start() -> [SIPTransactionAction] {
        guard case .idle = state else { return [] }
        state = .trying(interval: timers.t1)
        var actions: [SIPTransactionAction] = [.send(.request(request))]
        if !isReliable { actions.append(.startTimer(.E, after: timers.t1)) }
        actions.append(.startTimer(.F, after: timers.transactionTimeout))
        return actions
    }

    public mutating func event(_ event: SIPClientTransactionEvent) -> [SIPTransactionAction] {
        switch (state, event) {
        case (.trying(let interval), .timerFired(.E)):
            let next = min(interval * 2, timers.t2)
            state = .trying(interval: next)
            return [.send(.request(request)), .startTimer(.E, after: next)]
        case (.proceeding, .timerFired(.E)):
            return [.send(.request(request)), .startTimer(.E, after: timers.t2)]
        case (.trying, .timerFired(.F)), (.proceeding, .timerFired(.F)):
            state = .terminated
            return [.cancelTimer(.E), .timeout, .terminated]
        case (.trying, .response(let response)), (.proceeding, .response(let response)):
            if response.isProvisional {
                state = .proceeding
                return [.passToTU(.response(response))]
            }
            let stop: [SIPTransactionAction] = [.cancelTimer(.E), .cancelTimer(.F), .passToTU(.response(response))]
            if isReliable {
                state = .terminated
                return stop + [.terminated]
            }
            state = .completed
            return stop + [.startTimer(.K, after: timers.t4)]
        case (.completed, .timerFired(.K)):
            state = .terminated
            return [.terminated]
        case (.trying, .transportError), (.proceeding, .transportError):
            state = .terminated
            return [.cancelTimer(.E), .cancelTimer(.F), .transportError, .terminated]
        case (.idle, _), (.trying, _), (.proceeding, _), (.completed, _), (.terminated, _):
            return []
        }
    }
}
