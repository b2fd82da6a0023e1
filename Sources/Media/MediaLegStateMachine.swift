import NIOCore

/// The decisions of one leg, without sockets: latching, counting, tone pacing and closing.
///
/// `MediaLeg` owns one behind a lock and performs what it answers. The leg it is bridged to is
/// kept beside it by `MediaLeg` (this struct only hears whether there is one).
struct MediaLegStateMachine: Sendable {
    /// Relayed writes that may be in flight towards another event loop at once, per leg; past
    /// this the relay drops rather than queue (an unbounded `execute` backlog otherwise).
    static let maximumPendingHops = 256

    private enum State {
        case open
        case closed
    }

    /// What to do with a packet that arrived from this leg's far end.
    enum InboundAction: Equatable {
        /// Relay it to the bridged leg.
        case forward
        /// Drop it (already counted).
        case drop
    }

    /// What to do with a packet relayed towards this leg's far end.
    enum OutboundAction: Equatable {
        /// Send it to this address; `stopTone` if it ended the tone that was playing.
        case send(to: SocketAddress, stopTone: Bool)
        /// Drop it (already counted).
        case drop
    }

    /// What a tone timer that fired should do.
    enum ToneAction {
        /// Send these packets (if there is a destination), then wake again at `nextDeadline`.
        case send([ByteBuffer], to: SocketAddress?, nextDeadline: UInt64)
        /// The tone was stopped or replaced: do nothing more.
        case stop
    }

    private var state: State = .open
    private(set) var rtp: SymmetricLatch
    private(set) var rtcp: SymmetricLatch
    private(set) var statistics = MediaLegStatistics()
    private var tone: ToneStream?
    /// Bumped whenever a tone starts or stops, so a stale timer knows it is stale.
    private(set) var toneGeneration: UInt64 = 0
    private var pendingHops = 0
    /// When the far end last sent a packet that was accepted (RTP or RTCP from its learnt source);
    /// nil until then. What an RTP inactivity timeout looks at.
    private(set) var lastAccepted: UInt64?

    init(relatchAfterSilence: UInt64?, policy: StrictRTPPolicy = StrictRTPPolicy()) {
        rtp = SymmetricLatch(relatchAfterSilence: relatchAfterSilence, policy: policy)
        rtcp = SymmetricLatch(relatchAfterSilence: relatchAfterSilence, policy: policy)
    }

    var isClosed: Bool {
        switch state {
        case .open: return false
        case .closed: return true
        }
    }

    var isTonePlaying: Bool { tone != nil }

    /// A datagram arrived on this leg's `kind` socket from `source`; `valid` says whether it
    /// parsed as RTP/RTCP version 2, `sequence` is its RTP sequence number (nil for RTCP, also
    /// when multiplexed on the RTP port). Learning happens even when not bridged, so tones reach a
    /// far end behind NAT.
    mutating func received(
        _ kind: MediaStreamKind, valid: Bool, sequence: UInt16? = nil, from source: SocketAddress,
        bridged: Bool, at now: UInt64
    ) -> InboundAction {
        switch state {
        case .closed:
            return .drop
        case .open:
            break
        }
        guard valid else {
            statistics.droppedMalformed += 1
            return .drop
        }
        let accepted: Bool
        switch kind {
        case .rtp: accepted = rtp.accept(from: source, sequence: sequence, at: now)
        case .rtcp:
            // RTCP from an RTP source learnt by probation (NAT) comes from that host; with RTP
            // from its confirmed address, RTCP is expected at its confirmed address too.
            accepted = rtcp.accept(from: source, sequence: nil, at: now, companion: rtp.isConfirmedSource ? nil : rtp.latched)
        }
        guard accepted else {
            statistics.droppedWrongSource += 1
            return .drop
        }
        lastAccepted = now
        switch kind {
        case .rtp: statistics.rtpReceived += 1
        case .rtcp: statistics.rtcpReceived += 1
        }
        guard bridged else {
            statistics.droppedNotBridged += 1
            return .drop
        }
        return .forward
    }

    /// The bridged leg relays a packet towards this leg's far end. `isMedia` is true for RTP
    /// proper (not RTCP): relayed media replaces a tone that was playing (early media). A write
    /// `crossLoop` reserves one of `maximumPendingHops`, returned by `hopCompleted()`.
    mutating func relayOut(_ kind: MediaStreamKind, isMedia: Bool, writable: Bool, crossLoop: Bool) -> OutboundAction {
        switch state {
        case .closed:
            return .drop
        case .open:
            break
        }
        let destination: SocketAddress?
        switch kind {
        case .rtp: destination = rtp.destination
        case .rtcp: destination = rtcp.destination
        }
        guard let destination else {
            statistics.droppedNoDestination += 1
            return .drop
        }
        guard writable, !crossLoop || pendingHops < Self.maximumPendingHops else {
            statistics.droppedOverload += 1
            return .drop
        }
        if crossLoop { pendingHops += 1 }
        statistics.relayedSent += 1
        let stopTone = isMedia && tone != nil
        if stopTone {
            tone = nil
            toneGeneration += 1
        }
        return .send(to: destination, stopTone: stopTone)
    }

    /// A cross-loop write reserved by `relayOut` was performed.
    mutating func hopCompleted() {
        pendingHops = max(0, pendingHops - 1)
    }

    /// New SDP from the far end: new advertised addresses, and whether signalling confirms them
    /// (see `SymmetricLatch.reset(advertised:confirmed:)`).
    mutating func setRemote(
        rtp rtpAddress: SocketAddress?, rtcp rtcpAddress: SocketAddress?, confirmed: Bool,
        signallingHost: String? = nil
    ) {
        rtp.reset(advertised: rtpAddress, confirmed: confirmed ? rtpAddress : nil, signallingHost: signallingHost)
        rtcp.reset(advertised: rtcpAddress, confirmed: confirmed ? rtcpAddress : nil, signallingHost: signallingHost)
    }

    /// Starts (or replaces) the tone; returns its generation, nil when closed.
    mutating func startTone(_ stream: ToneStream) -> UInt64? {
        switch state {
        case .closed:
            return nil
        case .open:
            tone = stream
            toneGeneration += 1
            return toneGeneration
        }
    }

    /// Stops the tone; returns whether one was playing.
    @discardableResult
    mutating func stopTone() -> Bool {
        guard tone != nil else { return false }
        tone = nil
        toneGeneration += 1
        return true
    }

    /// The timer of tone `generation` fired at `now`.
    mutating func toneTimerFired(
        generation: UInt64, at now: UInt64, writable: Bool,
        allocator: ByteBufferAllocator
    ) -> ToneAction {
        guard generation == toneGeneration, var stream = tone else { return .stop }
        switch state {
        case .closed:
            return .stop
        case .open:
            break
        }
        let packets = stream.packets(dueAt: now, allocator: allocator)
        tone = stream
        let destination = rtp.destination
        if destination == nil {
            statistics.droppedNoDestination += UInt64(packets.count)
        } else if !writable {
            statistics.droppedOverload += UInt64(packets.count)
            return .send([], to: nil, nextDeadline: stream.nextDeadline)
        } else {
            statistics.toneSent += UInt64(packets.count)
        }
        return .send(packets, to: destination, nextDeadline: stream.nextDeadline)
    }

    /// Closes the leg; returns true the first time only.
    mutating func close() -> Bool {
        switch state {
        case .closed:
            return false
        case .open:
            state = .closed
            tone = nil
            toneGeneration += 1
            return true
        }
    }
}
