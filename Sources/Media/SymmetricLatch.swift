import NIOCore

/// Symmetric RTP (RFC 4961) with strict-RTP learning for one stream of one leg: where to send,
/// and whom to listen to.
///
/// Every source has a trust rank: the `confirmed` address (the SDP address, when signalling
/// vouches for it: its host is the host the peer's SIP comes from) ranks highest; then any port of
/// the `signallingHost` (the peer's SIP source host: its public address behind NAT); then any other
/// host. Rules with `StrictRTPPolicy.enabled` (the default), in order:
/// 1. Until a source is learnt, the destination is the address from the far end's SDP
///    (`advertised`), which may be nil (nothing is sent then). Nothing is accepted yet.
/// 2. A packet from the `confirmed` address is accepted at once and locks the stream on it.
/// 3. Any other source must pass probation: `policy.probation` packets with consecutive sequence
///    numbers, spanning at least `policy.minimumProbationNanoseconds` (Asterisk's `probation`).
///    Sources of the signalling host and of other hosts are counted apart, so a stranger's packets
///    never reset a phone's probation. Other hosts are not considered at all when the SDP address
///    is confirmed. Packets without a sequence number (RTCP) cannot pass probation; RTCP instead
///    follows the host its RTP stream was learnt from (`companion`).
/// 4. A learnt source is displaced by a source of higher rank (at once for the confirmed address,
///    after probation for the signalling host), never by one of lower rank: a stranger who got in
///    first cannot keep the stream once the phone sends.
/// 5. For `learningWindowNanoseconds` after it is learnt, a source may also be displaced by one
///    of the same rank that passes probation while it is silent (every packet of the learnt source
///    resets a competitor's count, as in Asterisk); then it locks against its own rank.
/// 6. `reset(advertised:confirmed:signallingHost:)` with different addresses (a re-INVITE, or the
///    answer to our offer) keeps accepting the learnt source but opens learning again, unless the
///    new SDP is confirmed and the source is on another host: then it is forgotten at once.
///    Unchanged addresses change nothing.
/// 7. Optionally (`relatchAfterSilence`), a learnt source silent that long opens learning again
///    (a NAT binding that changed mid-call). Off by default, as in Asterisk.
///
/// With strict RTP disabled the first valid packet latches and others are rejected; `reset`
/// forgets it.
///
/// Time is an input: callers pass a monotonic clock in nanoseconds.
public struct SymmetricLatch: Sendable, Hashable {
    /// The address the far end's SDP announced.
    public private(set) var advertised: SocketAddress?
    /// The SDP address when signalling confirmed it.
    public private(set) var confirmed: SocketAddress?
    /// The host the peer's SIP comes from (textual IP), if known.
    public private(set) var signallingHost: String?
    /// Silence after which another source may be learnt again; nil: never.
    public let relatchAfterSilence: UInt64?
    public let policy: StrictRTPPolicy

    /// How much a source is trusted, lowest first.
    private enum Trust: Int, Sendable, Hashable, Comparable {
        case otherHost = 0
        case signallingHost = 1
        case confirmed = 2

        static func < (lhs: Trust, rhs: Trust) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    private enum State: Sendable, Hashable {
        /// No source yet.
        case unlearnt
        /// `source` is accepted; until `lockAt` (set on its next packet when nil) a source of the
        /// same trust may take over by probation.
        case learning(source: SocketAddress, trust: Trust, lockAt: UInt64?)
        /// `source` is accepted; only a source of higher trust may take over.
        case locked(source: SocketAddress, trust: Trust)
    }

    /// A source on probation.
    private struct Candidate: Sendable, Hashable {
        var address: SocketAddress
        var lastSequence: UInt16
        var count: Int
        var firstAt: UInt64
    }

    private var state: State = .unlearnt
    /// Probation of a source of the signalling host, and of another host.
    private var hostCandidate: Candidate?
    private var otherCandidate: Candidate?
    /// When the learnt source last sent an accepted packet.
    private var lastAccepted: UInt64 = 0

    public init(
        advertised: SocketAddress? = nil, confirmed: SocketAddress? = nil, signallingHost: String? = nil,
        relatchAfterSilence: UInt64? = nil, policy: StrictRTPPolicy = StrictRTPPolicy()
    ) {
        self.advertised = advertised
        self.confirmed = confirmed
        self.signallingHost = signallingHost
        self.relatchAfterSilence = relatchAfterSilence
        self.policy = policy
    }

    /// The source packets are accepted from, once learnt.
    public var latched: SocketAddress? {
        switch state {
        case .unlearnt: return nil
        case .learning(let source, _, _): return source
        case .locked(let source, _): return source
        }
    }

    /// Where packets for the far end go: the learnt source, else the SDP address.
    public var destination: SocketAddress? { latched ?? advertised }

    /// Whether a source has been learnt.
    public var isLatched: Bool { latched != nil }

    /// Whether the source is past its learning window.
    public var isLocked: Bool {
        switch state {
        case .unlearnt, .learning: return false
        case .locked: return true
        }
    }

    /// Whether the source was learnt from the confirmed SDP address.
    public var isConfirmedSource: Bool { currentTrust == .confirmed }

    /// A valid packet arrived from `source` at `now`, with its RTP `sequence` number (nil for
    /// RTCP). `companion` is, for RTCP, the source its RTP stream learnt. Returns whether to
    /// accept it, learning or locking as the rules say.
    public mutating func accept(
        from source: SocketAddress, sequence: UInt16?, at now: UInt64,
        companion: SocketAddress? = nil
    ) -> Bool {
        guard policy.enabled else { return acceptOpen(from: source, at: now) }
        lockIfWindowOver(at: now)
        reopenIfSilent(source: source, at: now)
        if let current = latched, current == source {
            lastAccepted = now
            // A competitor of the same or lower trust loses its progress (Asterisk).
            otherCandidate = nil
            if let learntTrust = currentTrust, learntTrust >= .signallingHost { hostCandidate = nil }
            if case .learning(let learnt, let learntTrust, nil) = state {
                state = .learning(source: learnt, trust: learntTrust, lockAt: now + StrictRTPPolicy.learningWindowNanoseconds)
            }
            return true
        }
        let trust = self.trust(of: source)
        guard mayLearn(trust) else { return false }
        if trust == .confirmed {
            learn(source, trust: .confirmed, at: now)
            return true
        }
        if let companion, let host = companion.ipAddress, host == source.ipAddress {
            learn(source, trust: trust, at: now)
            return true
        }
        guard let sequence, passesProbation(source, trust: trust, sequence: sequence, at: now) else { return false }
        learn(source, trust: trust, at: now)
        return true
    }

    /// New SDP: remember its addresses. Different ones re-open learning (the learnt source stays
    /// accepted meanwhile); with strict RTP off they forget the latch.
    public mutating func reset(advertised: SocketAddress?, confirmed: SocketAddress? = nil, signallingHost: String? = nil) {
        guard advertised != self.advertised || confirmed != self.confirmed || signallingHost != self.signallingHost else { return }
        self.advertised = advertised
        self.confirmed = confirmed
        self.signallingHost = signallingHost
        hostCandidate = nil
        otherCandidate = nil
        guard policy.enabled else {
            state = .unlearnt
            return
        }
        switch state {
        case .unlearnt:
            break
        case .learning(let source, _, _), .locked(let source, _):
            let trust = self.trust(of: source)
            if trust == .confirmed {
                state = .locked(source: source, trust: .confirmed)
            } else if trust == .otherHost, confirmed != nil {
                state = .unlearnt  // learnt before this SDP (a stranger during ringing): the SDP forbids it
            } else {
                state = .learning(source: source, trust: trust, lockAt: nil)
            }
        }
    }

    // MARK: - Private

    private func trust(of source: SocketAddress) -> Trust {
        if let confirmed, source == confirmed { return .confirmed }
        if let host = source.ipAddress, host == signallingHost || host == confirmed?.ipAddress { return .signallingHost }
        return .otherHost
    }

    private var currentTrust: Trust? {
        switch state {
        case .unlearnt: return nil
        case .learning(_, let trust, _): return trust
        case .locked(_, let trust): return trust
        }
    }

    /// Whether a source of `trust` (not the learnt one) may be learnt now.
    private func mayLearn(_ trust: Trust) -> Bool {
        if trust == .otherHost, confirmed != nil { return false }  // confirmed SDP: only its host
        switch state {
        case .unlearnt: return true
        case .learning(_, let current, _): return trust >= current
        case .locked(_, let current): return trust > current
        }
    }

    private mutating func learn(_ source: SocketAddress, trust: Trust, at now: UInt64) {
        state =
            trust == .confirmed
            ? .locked(source: source, trust: .confirmed)
            : .learning(source: source, trust: trust, lockAt: now + StrictRTPPolicy.learningWindowNanoseconds)
        hostCandidate = nil
        otherCandidate = nil
        lastAccepted = now
    }

    private mutating func lockIfWindowOver(at now: UInt64) {
        if case .learning(let source, let trust, let lockAt?) = state, now >= lockAt {
            state = .locked(source: source, trust: trust)
        }
    }

    private mutating func reopenIfSilent(source: SocketAddress, at now: UInt64) {
        guard let silence = relatchAfterSilence, let current = latched, current != source,
            now >= lastAccepted, now - lastAccepted >= silence
        else { return }
        state = .learning(source: current, trust: .otherHost, lockAt: now + StrictRTPPolicy.learningWindowNanoseconds)
    }

    /// Counts `source`'s packet towards probation in the slot of its trust; true when it completes it.
    private mutating func passesProbation(_ source: SocketAddress, trust: Trust, sequence: UInt16, at now: UInt64) -> Bool {
        var slot = trust == .signallingHost ? hostCandidate : otherCandidate
        let passed = Self.count(&slot, source: source, sequence: sequence, at: now, policy: policy)
        if trust == .signallingHost { hostCandidate = slot } else { otherCandidate = slot }
        return passed
    }

    private static func count(
        _ slot: inout Candidate?, source: SocketAddress, sequence: UInt16, at now: UInt64,
        policy: StrictRTPPolicy
    ) -> Bool {
        guard var current = slot, current.address == source else {
            slot = Candidate(address: source, lastSequence: sequence, count: 1, firstAt: now)
            if policy.probation <= 1 { slot = nil }
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
                slot = nil
                return true
            }
            // A burst faster than audio: a flood, not a phone; this packet starts over.
            current.count = 1
            current.firstAt = now
        }
        slot = current
        return false
    }

    /// Strict RTP off: the first valid packet latches.
    private mutating func acceptOpen(from source: SocketAddress, at now: UInt64) -> Bool {
        guard let current = latched else {
            state = .locked(source: source, trust: .otherHost)
            lastAccepted = now
            return true
        }
        if current == source {
            lastAccepted = now
            return true
        }
        if let silence = relatchAfterSilence, now >= lastAccepted, now - lastAccepted >= silence {
            state = .locked(source: source, trust: .otherHost)
            lastAccepted = now
            return true
        }
        return false
    }
}
