/// The transaction timers of RFC 3261 §17 (Table 4) and RFC 6026 (L, M).
public enum SIPTimer: String, Sendable, Hashable, CaseIterable {
    /// INVITE client: retransmit the INVITE (unreliable transport), doubling from T1.
    case A
    /// INVITE client: give up waiting for any response, 64·T1.
    case B
    /// INVITE client: linger in Completed to absorb retransmitted final responses.
    case D
    /// Non-INVITE client: retransmit the request, doubling from T1 up to T2.
    case E
    /// Non-INVITE client: give up, 64·T1.
    case F
    /// INVITE server: retransmit the final non-2xx response, doubling from T1 up to T2.
    case G
    /// INVITE server: give up waiting for the ACK, 64·T1.
    case H
    /// INVITE server: linger in Confirmed to absorb ACK retransmissions, T4.
    case I
    /// Non-INVITE server: linger in Completed to answer retransmitted requests, 64·T1.
    case J
    /// Non-INVITE client: linger in Completed to absorb retransmitted responses, T4.
    case K
    /// INVITE server (RFC 6026): linger in Accepted after a 2xx, 64·T1.
    case L
    /// INVITE client (RFC 6026): linger in Accepted for 2xx retransmissions and forks, 64·T1.
    case M
}

/// Timer base values, in microseconds of whatever clock drives the machines.
public struct SIPTimerSettings: Sendable, Hashable {
    /// RTT estimate, 500 ms (RFC 3261 §17.1.1.1).
    public var t1: Int64
    /// Longest retransmit interval for non-INVITE requests and INVITE responses, 4 s.
    public var t2: Int64
    /// Longest time a message stays in the network, 5 s.
    public var t4: Int64

    public init(t1: Int64 = 500_000, t2: Int64 = 4_000_000, t4: Int64 = 5_000_000) {
        self.t1 = t1
        self.t2 = t2
        self.t4 = t4
    }

    /// 64·T1: timers B, F, H, J, L, M.
    public var transactionTimeout: Int64 { 64 * t1 }

    /// Timer D on unreliable transports: "at least 32 s" (RFC 3261 §17.1.1.2).
    public var timerD: Int64 { max(32_000_000, 64 * t1) }
}
