/// The UAS core's retransmission of a 2xx to an INVITE until its ACK arrives (RFC 3261 §13.3.1.4):
/// the INVITE server transaction hands 2xx retransmission to the TU (RFC 6026), so this machine
/// does it, on the same timers as a non-2xx: every T1, doubling up to T2 (Timer G's schedule), for
/// at most 64·T1 (Timer H), after which the TU is told (`timeout`) and ends the dialog with BYE.
/// On reliable transports the 2xx is sent once but the ACK is still awaited for 64·T1.
public struct SIPSuccessRetransmission: Sendable {
    private enum State: Sendable {
        case idle
        case waiting(interval: Int64)
        case terminated
    }

    public let response: SIPResponse
    public let isReliable: Bool
    public let timers: SIPTimerSettings
    private var state: State = .idle

    public init(response: SIPResponse, reliable: Bool, timers: SIPTimerSettings = SIPTimerSettings()) {
        self.response = response
        self.isReliable = reliable
        self.timers = timers
    }

    public var isTerminated: Bool {
        if case .terminated = state { return true }
        return false
    }

    /// Sends the 2xx and starts Timer G (unreliable only) and Timer H.
    public mutating func start() -> [SIPTransactionAction] {
        guard case .idle = state else { return [] }
        state = .waiting(interval: timers.t1)
        var actions: [SIPTransactionAction] = [.send(.response(response))]
        if !isReliable { actions.append(.startTimer(.G, after: timers.t1)) }
        actions.append(.startTimer(.H, after: timers.transactionTimeout))
        return actions
    }

    public mutating func event(_ event: SIPServerTransactionEvent) -> [SIPTransactionAction] {
        switch (state, event) {
        case (.waiting(let interval), .timerFired(.G)):
            let next = min(interval * 2, timers.t2)
            state = .waiting(interval: next)
            return [.send(.response(response)), .startTimer(.G, after: next)]
        case (.waiting, .timerFired(.H)):
            state = .terminated
            return [.cancelTimer(.G), .timeout, .terminated]
        case (.waiting, .request(let request)) where request.method == .ack:
            state = .terminated
            return [.cancelTimer(.G), .cancelTimer(.H), .passToTU(.request(request)), .terminated]
        case (.waiting, .request(let request)) where request.method == .invite:
            // A retransmitted INVITE whose 2xx may have been lost: answer it again.
            return [.send(.response(response))]
        case (.waiting, .transportError):
            state = .terminated
            return [.cancelTimer(.G), .cancelTimer(.H), .transportError, .terminated]
        case (.idle, _), (.waiting, _), (.terminated, _):
            return []
        }
    }
}
