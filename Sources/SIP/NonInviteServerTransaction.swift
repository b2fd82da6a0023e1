/// The non-INVITE server transaction of RFC 3261 §17.2.2.
///
/// `start()` hands the request to the TU. Retransmissions are absorbed until the TU answers,
/// then get the last response again. After a final response the transaction lingers for
/// Timer J (64·T1 on unreliable transports, none on reliable ones).
public struct NonInviteServerTransaction: Sendable {
    private enum State: Sendable {
        case idle
        case trying
        case proceeding(lastProvisional: SIPResponse)
        case completed(final: SIPResponse)
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

    /// Passes the request to the TU.
    public mutating func start() -> [SIPTransactionAction] {
        guard case .idle = state else { return [] }
        state = .trying
        return [.passToTU(.request(request))]
    }

    public mutating func event(_ event: SIPServerTransactionEvent) -> [SIPTransactionAction] {
        switch (state, event) {
        case (.trying, .request):
            return []
        case (.proceeding(let last), .request):
            return [.send(.response(last))]
        case (.completed(let final), .request):
            return [.send(.response(final))]
        case (.trying, .respond(let response)), (.proceeding, .respond(let response)):
            if response.isProvisional {
                state = .proceeding(lastProvisional: response)
                return [.send(.response(response))]
            }
            if isReliable {
                state = .terminated
                return [.send(.response(response)), .terminated]
            }
            state = .completed(final: response)
            return [.send(.response(response)), .startTimer(.J, after: timers.transactionTimeout)]
        case (.completed, .timerFired(.J)):
            state = .terminated
            return [.terminated]
        case (.trying, .transportError), (.proceeding, .transportError), (.completed, .transportError):
            state = .terminated
            return [.cancelTimer(.J), .transportError, .terminated]
        case (.idle, _), (.trying, _), (.proceeding, _), (.completed, _), (.terminated, _):
            return []
        }
    }
}
