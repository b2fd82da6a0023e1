/// What a transaction state machine asks its owner to do.
public enum SIPTransactionAction: Sendable, Hashable {
    /// Send this message on the transaction's transport, to the transaction's peer.
    case send(SIPMessage)
    /// (Re)start a timer to fire `after` microseconds from now; a running timer of the same
    /// name is replaced.
    case startTimer(SIPTimer, after: Int64)
    case cancelTimer(SIPTimer)
    /// Hand this message to the transaction user: a response (client) or a request (server).
    case passToTU(SIPMessage)
    /// Tell the transaction user that the transaction timed out (Timer B, F or H).
    case timeout
    /// Tell the transaction user that the transport failed (RFC 3261 §17.1.4, §17.2.4).
    case transportError
    /// The transaction is over: forget it.
    case terminated
}

/// Events a client transaction reacts to.
public enum SIPClientTransactionEvent: Sendable, Hashable {
    /// A response matched to this transaction.
    case response(SIPResponse)
    case timerFired(SIPTimer)
    case transportError
}

/// Events a server transaction reacts to.
public enum SIPServerTransactionEvent: Sendable, Hashable {
    /// A retransmission of the request, or (INVITE) an ACK, matched to this transaction.
    case request(SIPRequest)
    /// The transaction user's response to send.
    case respond(SIPResponse)
    case timerFired(SIPTimer)
    case transportError
}
