/// The INVITE client transaction of RFC 3261 §17.1.1, with RFC 6026's Accepted state.
///
/// `start()` sends the INVITE. Provisional responses go to the TU; a 2xx goes to the TU and
/// moves to Accepted, where further 2xx (retransmissions, forks) also go to the TU until
/// Timer M; a 3xx–6xx is ACKed here (§17.1.1.3) and retransmissions of it are ACKed again
/// until Timer D.
public struct InviteClientTransaction: Sendable {
    private enum State: Sendable {
        case idle
        /// INVITE sent; `interval` is the current Timer A interval.
        case calling(interval: Int64)
        case proceeding
        case completed(ack: SIPRequest)
        case accepted
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

    /// Whether the machine has reached Terminated.
    public var isTerminated: Bool {
        if case .terminated = state { return true }
        return false
    }

    /// Sends the INVITE and starts Timer A (unreliable transports only) and Timer B.
    public mutating func start() -> [SIPTransactionAction] {
        guard case .idle = state else { return [] }
        state = .calling(interval: timers.t1)
        var actions: [SIPTransactionAction] = [.send(.request(request))]
        if !isReliable { actions.append(.startTimer(.A, after: timers.t1)) }
        actions.append(.startTimer(.B, after: timers.transactionTimeout))
        return actions
    }

    public mutating func event(_ event: SIPClientTransactionEvent) -> [SIPTransactionAction] {
        switch (state, event) {
        case (.calling(let interval), .timerFired(.A)):
            state = .calling(interval: interval * 2)
            return [.send(.request(request)), .startTimer(.A, after: interval * 2)]
        case (.calling, .timerFired(.B)):
            state = .terminated
            return [.cancelTimer(.A), .timeout, .terminated]
        case (.calling, .response(let response)):
            let leaveCalling: [SIPTransactionAction] = [.cancelTimer(.A), .cancelTimer(.B)]
            return leaveCalling + receive(response)
        case (.proceeding, .response(let response)):
            return receive(response)
        case (.completed(let ack), .response(let response)) where response.statusCode >= 300:
            return [.send(.request(ack))]
        case (.completed, .timerFired(.D)), (.accepted, .timerFired(.M)):
            state = .terminated
            return [.terminated]
        case (.accepted, .response(let response)) where response.isSuccess:
            return [.passToTU(.response(response))]
        case (.calling, .transportError), (.proceeding, .transportError), (.completed, .transportError):
            state = .terminated
            return [.cancelTimer(.A), .cancelTimer(.B), .cancelTimer(.D), .transportError, .terminated]
        case (.idle, _), (.calling, _), (.proceeding, _), (.completed, _), (.accepted, _), (.terminated, _):
            return []
        }
    }

    /// A response in Calling or Proceeding.
    private mutating func receive(_ response: SIPResponse) -> [SIPTransactionAction] {
        switch response.statusCode {
        case ..<200:
            state = .proceeding
            return [.passToTU(.response(response))]
        case 200..<300:
            state = .accepted
            return [.passToTU(.response(response)), .startTimer(.M, after: timers.transactionTimeout)]
        default:
            let ack = SIPRequest.ack(for: request, response: response)
            if isReliable {
                state = .terminated
                return [.send(.request(ack)), .passToTU(.response(response)), .terminated]
            }
            state = .completed(ack: ack)
            return [.send(.request(ack)), .passToTU(.response(response)), .startTimer(.D, after: timers.timerD)]
        }
    }
}
