/// The INVITE server transaction of RFC 3261 §17.2.1, with RFC 6026's Accepted state.
///
/// `start()` hands the INVITE to the TU and answers `100 Trying` at once (RFC 3261 allows
/// waiting 200 ms for the TU; answering at once stops the caller's Timer A early). A retransmitted
/// INVITE gets the last response again. A 3xx–6xx is retransmitted on Timer G until the ACK
/// arrives (then Confirmed, Timer I) or Timer H gives up. A 2xx moves to Accepted: the TU owns
/// 2xx retransmission, ACKs go to the TU, INVITE retransmissions are absorbed, until Timer L.
public struct InviteServerTransaction: Sendable {
    private enum State: Sendable {
        case idle
        case proceeding(lastProvisional: SIPResponse)
        case completed(final: SIPResponse, interval: Int64)
        case confirmed
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

    public var isTerminated: Bool {
        if case .terminated = state { return true }
        return false
    }

    /// Passes the INVITE to the TU and sends 100 Trying.
    public mutating func start() -> [SIPTransactionAction] {
        guard case .idle = state else { return [] }
        let trying = SIPResponse(replyingTo: request, statusCode: 100)
        state = .proceeding(lastProvisional: trying)
        return [.passToTU(.request(request)), .send(.response(trying))]
    }

    public mutating func event(_ event: SIPServerTransactionEvent) -> [SIPTransactionAction] {
        switch (state, event) {
        case (.proceeding(let last), .request(let request)) where request.method == .invite:
            return [.send(.response(last))]
        case (.proceeding, .respond(let response)):
            return respond(response)
        case (.completed(let final, _), .request(let request)) where request.method == .invite:
            return [.send(.response(final))]
        case (.completed(let final, let interval), .timerFired(.G)):
            let next = min(interval * 2, timers.t2)
            state = .completed(final: final, interval: next)
            return [.send(.response(final)), .startTimer(.G, after: next)]
        case (.completed, .timerFired(.H)):
            state = .terminated
            return [.cancelTimer(.G), .timeout, .terminated]
        case (.completed, .request(let request)) where request.method == .ack:
            if isReliable {
                state = .terminated
                return [.cancelTimer(.G), .cancelTimer(.H), .terminated]
            }
            state = .confirmed
            return [.cancelTimer(.G), .cancelTimer(.H), .startTimer(.I, after: timers.t4)]
        case (.confirmed, .timerFired(.I)), (.accepted, .timerFired(.L)):
            state = .terminated
            return [.terminated]
        case (.accepted, .request(let request)) where request.method == .ack:
            return [.passToTU(.request(request))]
        case (.accepted, .respond(let response)) where response.isSuccess:
            return [.send(.response(response))]
        case (.proceeding, .transportError), (.completed, .transportError):
            state = .terminated
            return [.cancelTimer(.G), .cancelTimer(.H), .transportError, .terminated]
        case (.idle, _), (.proceeding, _), (.completed, _), (.confirmed, _), (.accepted, _), (.terminated, _):
            return []
        }
    }

    /// The TU's response while Proceeding.
    private mutating func respond(_ response: SIPResponse) -> [SIPTransactionAction] {
        switch response.statusCode {
        case ..<200:
            state = .proceeding(lastProvisional: response)
            return [.send(.response(response))]
        case 200..<300:
            state = .accepted
            return [.send(.response(response)), .startTimer(.L, after: timers.transactionTimeout)]
        default:
            state = .completed(final: response, interval: timers.t1)
            var actions: [SIPTransactionAction] = [.send(.response(response))]
            if !isReliable { actions.append(.startTimer(.G, after: timers.t1)) }
            actions.append(.startTimer(.H, after: timers.transactionTimeout))
            return actions
        }
    }
}
