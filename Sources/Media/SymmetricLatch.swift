import NIOCore

/// Symmetric RTP (RFC 4961) with strict-RTP learning for one stream of one leg: where to send,
/// and whom to listen to.
///
/// Rules with `StrictRTPPolicy.enabled` (the default), in order:
/// 1. Until a source is learnt, the destination is the address from the far end's SDP
///    (`advertised`), which may be nil (nothing is sent then). Nothing is accepted yet.
/// 2. A packet from the `confirmed` address (the SDP address, when signalling vouches for it)
///    is accepted at once and locks the stream on it; it also displaces a source that was learnt
///    by probation (a stranger who got in first cannot keep the stream).
/// 3. Any other source must pass probation: `policy.probation` packets with consecutive sequence
///    numbers, spanning at least `policy.minimumProbationNanoseconds` (Asterisk's `probation`,
///    which is how a phone behind NAT, whose SDP shows its private address, is learnt). Packets
///    without a sequence number (RTCP) cannot pass probation; RTCP instead follows the host its
///    RTP stream was learnt from (`companion`).
/// 4. A source learnt by probation may still be displaced, for `learningWindowNanoseconds`, by
///    another that passes probation while it is silent (every packet of the learnt source resets
///    a competitor's count, as in Asterisk); then the stream locks.
/// 5. Once learnt, the source is the destination, whatever the SDP said, and packets from any
///    other source are rejected.
/// 6. `reset(advertised:confirmed:)` with different addresses (a re-INVITE) keeps accepting the
///    learnt source but opens learning again; unchanged addresses change nothing.
/// 7. Optionally (`relatchAfterSilence`), a learnt source silent that long opens learning again
///    (a NAT binding that changed mid-call). Off by default, as in Asterisk.
///
/// With strict RTP disabled the first valid packet latches and rule 5 holds; `reset` forgets it.
///
/// Time is an input: callers pass a monotonic clock in nanoseconds.
public struct SymmetricLatch: Sendable, Hashable {
    /// The address the far end's SDP announced.
    public private(set) var advertised: SocketAddress?
    /// The SDP address when signalling confirmed it (its host is the peer's SIP source host).
    public private(set) var confirmed: SocketAddress?
    /// Silence after which another source may be learnt again; nil: never.
    public let relatchAfterSilence: UInt64?
    public let policy: StrictRTPPolicy

    private enum State: Sendable, Hashable {
        /// No source yet.
        case unlearnt
        /// `source` is accepted; until `lockAt` (set on its next packet when nil) another source
        /// may take over by probation.
        case learning(source: SocketAddress, lockAt: UInt64?)
        /// Only `source` is accepted; `confirmed` if it is the confirmed SDP address.
        case locked(source: SocketAddress, confirmed: Bool)
    }

    /// A source on probation.
    private struct Candidate: Sendable, Hashable {
        var address: SocketAddress
        var lastSequence: UInt16
        var count: Int
        var firstAt: UInt64
    }

    private var state: State = .unlearnt
    private var candidate: Candidate?
    /// When the learnt source last sent an accepted packet.
    private var lastAccepted: UInt64 = 0

    public init(advertised: SocketAddress? = nil, confirmed: SocketAddress? = nil,
                relatchAfterSilence: UInt64? = nil, policy: StrictRTPPolicy = StrictRTPPolicy()) {
        self.advertised = advertised
        self.confirmed = confirmed
        self.relatchAfterSilence = relatchAfterSilence
        self.policy = policy
    }

    /// The source packets are accepted from, once learnt.
    public var latched: SocketAddress? {
        switch state {
        case .unlearnt: return nil
        case .learning(let source, _): return source
        case .locked(let source, _): return source
        }
    }

    /// Where packets for the far end go: the learnt source, else the SDP address.
    public var destination: SocketAddress? { latched ?? advertised }

    /// Whether a source has been learnt.
    public var isLatched: Bool { latched != nil }

    /// Whether the source is final (no other may be learnt until new SDP).
    public var isLocked: Bool {
        switch state {
        case .unlearnt, .learning: return false
        case .locked: return true
        }
    }

    /// Whether the source was learnt from the confirmed SDP address.
    public var isConfirmedSource: Bool {
        switch state {
        case .unlearnt, .learning, .locked(_, false): return false
        case .locked(_, true): return true
        }
    }

    /// A valid packet arrived from `source` at `now`, with its RTP `sequence` number (nil for
    /// RTCP). `companion` is, for RTCP, the source its RTP stream learnt. Returns whether to
    /// accept it, learning or locking as the rules say.
    public mutating func accept(from source: SocketAddress, sequence: UInt16?, at now: UInt64,
                                companion: SocketAddress? = nil) -> Bool {
        guard policy.enabled else { return acceptOpen(from: source, at: now) }
        lockIfWindowOver(at: now)
        reopenIfSilent(source: source, at: now)
        if let current = latched, current == source {
            lastAccepted = now
            candidate = nil
            if case .learning(let learnt, nil) = state {
                state = .learning(source: learnt, lockAt: now + StrictRTPPolicy.learningWindowNanoseconds)
            }
            return true
        }
        if let confirmed, source == confirmed {
            switch state {
            case .locked(_, true):
                break // a confirmed source is never displaced (and it cannot be another address)
            case .unlearnt, .learning, .locked(_, false):
                learn(source, confirmed: true, at: now)
                return true
            }
        }
        guard mayLearnAnother else { return false }
        if let companion, companion.ipAddress != nil, companion.ipAddress == source.ipAddress {
            learn(source, confirmed: false, at: now)
            return true
        }
        guard let sequence, passesProbation(source, sequence: sequence, at: now) else { return false }
        learn(source, confirmed: false, at: now)
        return true
    }

    /// New SDP: remember its addresses. Different ones re-open learning (the learnt source stays
    /// accepted meanwhile); with strict RTP off they forget the latch.
    public mutating func reset(advertised: SocketAddress?, confirmed: SocketAddress? = nil) {
        guard advertised != self.advertised || confirmed != self.confirmed else { return }
        self.advertised = advertised
        self.confirmed = confirmed
        candidate = nil
        guard policy.enabled else {
            state = .unlearnt
            return
        }
        switch state {
        case .unlearnt:
            break
        case .learning(let source, _), .locked(let source, _):
            state = source == confirmed ? .locked(source: source, confirmed: true) : .learning(source: source, lockAt: nil)
        }
    }

    // MARK: - Private

    /// Whether a source other than the learnt one may be learnt now (by companion or probation).
    private var mayLearnAnother: Bool {
        switch state {
        case .unlearnt, .learning: return true
        case .locked: return false
        }
    }

    private mutating func learn(_ source: SocketAddress, confirmed: Bool, at now: UInt64) {
        state = confirmed ? .locked(source: source, confirmed: true)
                          : .learning(source: source, lockAt: now + StrictRTPPolicy.learningWindowNanoseconds)
        candidate = nil
        lastAccepted = now
    }

    private mutating func lockIfWindowOver(at now: UInt64) {
        if case .learning(let source, let lockAt?) = state, now >= lockAt {
            state = .locked(source: source, confirmed: false)
        }
    }

    private mutating func reopenIfSilent(source: SocketAddress, at now: UInt64) {
        guard let silence = relatchAfterSilence, let current = latched, current != source,
              now >= lastAccepted, now - lastAccepted >= silence else { return }
        state = .learning(source: current, lockAt: now + StrictRTPPolicy.learningWindowNanoseconds)
    }

    /// Counts `source`'s packet towards probation; true when it completes it.
    private mutating func passesProbation(_ source: SocketAddress, sequence: UInt16, at now: UInt64) -> Bool {
        guard var current = candidate, current.address == source else {
            candidate = Candidate(address: source, lastSequence: sequence, count: 1, firstAt: now)
            return policy.probation <= 1
        }
        if sequence == current.lastSequence &+ 1 {
            current.count += 1
        } else {
            current.count = 1
            current.firstAt = now
        }
        current.lastSequence = sequence
        if current.count >= policy.probation {
            let span = now >= current.firstAt ? now - current.firstAt : 0
            if span >= policy.minimumProbationNanoseconds {
                candidate = nil
                return true
            }
            // A burst faster than audio: a flood, not a phone; this packet starts over.
            current.count = 1
            current.firstAt = now
        }
        candidate = current
        return false
    }

    /// Strict RTP off: the first valid packet latches.
    private mutating func acceptOpen(from source: SocketAddress, at now: UInt64) -> Bool {
        guard let current = latched else {
            state = .locked(source: source, confirmed: false)
            lastAccepted = now
            return true
        }
        if current == source {
            lastAccepted = now
            return true
        }
        if let silence = relatchAfterSilence, now >= lastAccepted, now - lastAccepted >= silence {
            state = .locked(source: source, confirmed: false)
            lastAccepted = now
            return true
        }
        return false
    }
}
