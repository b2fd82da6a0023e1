import NIOConcurrencyHelpers
import NIOCore

/// The media of one call leg: an RTP socket on an even port and an RTCP socket on the next one,
/// opened by `MediaEngine.openLeg()`.
///
/// Give it the far end's addresses from its SDP with `setRemote(rtp:rtcp:)`; packets actually
/// received win over them (symmetric RTP, see `SymmetricLatch`). Bridge two legs with
/// `MediaEngine.bridge(_:_:)` to relay RTP and RTCP between them untouched; a leg that is not
/// bridged drops (and counts) what it receives. `close()` must be called when the leg ends: it
/// unbridges, stops tones, closes both sockets and returns the ports to the engine.
///
/// Thread-safe: all mutable state sits behind one lock; socket work happens on `eventLoop`.
public final class MediaLeg: Sendable, CustomStringConvertible {
    /// The ports this leg's sockets are bound to.
    public let ports: RTPPortPair
    /// The host the sockets are bound to (the engine's bind host).
    public let localHost: String
    /// The event loop both sockets (and tone timers) run on.
    public let eventLoop: any EventLoop

    let engine: MediaEngine
    let box: NIOLockedValueBox<Box>

    /// Everything mutable, behind the lock.
    struct Box: Sendable {
        var machine: MediaLegStateMachine
        var peer: MediaLeg?
        var rtpChannel: (any Channel)?
        var rtcpChannel: (any Channel)?
        /// The sockets with their handlers, given back to the engine (its pool) on close.
        var sockets: MediaLegSockets?
        var toneTask: Scheduled<Void>?
        var closeFuture: EventLoopFuture<Void>?
    }

    /// When the leg was opened (monotonic nanoseconds), the start of its inactivity.
    public let openedAt: UInt64

    init(
        engine: MediaEngine, ports: RTPPortPair, localHost: String, eventLoop: any EventLoop,
        relatchAfterSilence: UInt64?, policy: StrictRTPPolicy
    ) {
        self.engine = engine
        self.ports = ports
        self.localHost = localHost
        self.eventLoop = eventLoop
        self.openedAt = NIODeadline.now().uptimeNanoseconds
        self.box = NIOLockedValueBox(Box(machine: MediaLegStateMachine(relatchAfterSilence: relatchAfterSilence, policy: policy)))
    }

    /// The local RTP port, to put in this leg's SDP `m=` line.
    public var localRTPPort: Int { ports.rtp }
    /// The local RTCP port (`localRTPPort + 1`).
    public var localRTCPPort: Int { ports.rtcp }

    public var description: String { "MediaLeg(\(localHost):\(ports))" }

    /// Sets the far end's addresses from its SDP (initial offer/answer or a re-INVITE). Changed
    /// addresses open learning again (see `SymmetricLatch`).
    ///
    /// - `confirmed`: signalling vouches for the address (its host is the host the peer's SIP
    ///   comes from), so packets from exactly it are accepted at once, and sources on other hosts
    ///   are never learnt; otherwise every source, this one included, must pass strict-RTP
    ///   probation (a phone behind NAT).
    /// - `signallingHost`: the host the peer's SIP comes from; its sources pass probation apart
    ///   from (and ahead of) any other host's, so a stranger cannot keep a NATed phone out.
    /// - `rtcp == nil` with an `rtp` address means RTP port + 1 (RFC 3550 §11; SDP without `a=rtcp`).
    /// - An unspecified address (`0.0.0.0`, `::`, the RFC 2543 hold style) or port 0 (stream
    ///   rejected) counts as unknown: nothing is sent there until a source is learnt.
    public func setRemote(rtp: SocketAddress?, rtcp: SocketAddress?, confirmed: Bool = true, signallingHost: String? = nil) {
        let rtpAddress = Self.usable(rtp)
        var rtcpAddress = Self.usable(rtcp)
        // Port 65535 has no next port (setting 65536 would trap in NIO): no RTCP address then.
        if rtcp == nil, var derived = rtpAddress, let port = derived.port, port < 65_535 {
            derived.port = port + 1
            rtcpAddress = derived
        }
        box.withLockedValue { $0.machine.setRemote(rtp: rtpAddress, rtcp: rtcpAddress, confirmed: confirmed, signallingHost: signallingHost) }
    }

    /// When the far end last sent an accepted RTP or RTCP packet (monotonic nanoseconds), or when
    /// the leg opened if it never did: inactivity is measured from here.
    public var lastActivity: UInt64 { box.withLockedValue { $0.machine.lastAccepted } ?? openedAt }

    /// Where RTP for the far end goes now: the latched source, else the SDP address.
    public var remoteRTPAddress: SocketAddress? { box.withLockedValue { $0.machine.rtp.destination } }
    /// Where RTCP for the far end goes now.
    public var remoteRTCPAddress: SocketAddress? { box.withLockedValue { $0.machine.rtcp.destination } }
    /// Whether RTP from the far end has been received and its source learnt.
    public var isRTPLatched: Bool { box.withLockedValue { $0.machine.rtp.isLatched } }
    /// Whether the RTP source is final (learnt from confirmed SDP, or its learning window ended).
    public var isRTPLocked: Bool { box.withLockedValue { $0.machine.rtp.isLocked } }

    /// A snapshot of the packet counters.
    public var statistics: MediaLegStatistics { box.withLockedValue { $0.machine.statistics } }
    /// Whether a tone is being played to the far end.
    public var isTonePlaying: Bool { box.withLockedValue { $0.machine.isTonePlaying } }
    /// Whether `close()` was called.
    public var isClosed: Bool { box.withLockedValue { $0.machine.isClosed } }
    /// The leg this one is bridged to, if any.
    public var bridgedLeg: MediaLeg? { box.withLockedValue { $0.peer } }

    /// Closes the leg and waits until its ports are back in the pool. Safe to call repeatedly.
    public func close() async {
        try? await closeFuture().get()
    }

    /// Closes the leg; the future completes once both sockets are closed and the ports released.
    @discardableResult
    public func closeFuture() -> EventLoopFuture<Void> {
        let promise = eventLoop.makePromise(of: Void.self)
        let (first, existing, sockets, task) = box.withLockedValue { box in
            if let existing = box.closeFuture {
                return (false, existing, MediaLegSockets?.none, Scheduled<Void>?.none)
            }
            box.closeFuture = promise.futureResult
            _ = box.machine.close()
            let sockets = box.sockets
            box.sockets = nil
            box.rtpChannel = nil
            box.rtcpChannel = nil
            let task = box.toneTask
            box.toneTask = nil
            return (true, promise.futureResult, sockets, task)
        }
        guard first else {
            promise.succeed(())
            return existing
        }
        task?.cancel()
        engine.unbridge(self)
        guard let sockets else {
            engine.legDidClose(self, parked: false)
            promise.succeed(())
            return promise.futureResult
        }
        engine.retire(sockets, of: self).whenComplete { _ in promise.succeed(()) }
        return promise.futureResult
    }

    /// Stores the sockets once bound (or taken from the engine's pool).
    func attach(_ sockets: MediaLegSockets) {
        box.withLockedValue { box in
            box.rtpChannel = sockets.rtp
            box.rtcpChannel = sockets.rtcp
            box.sockets = sockets
        }
    }

    /// Replaces the bridged leg and returns the previous one. Throws `legClosed` when a closed
    /// leg would be bridged (setting nil always works).
    func exchangePeer(_ newPeer: MediaLeg?) throws -> MediaLeg? {
        try box.withLockedValue { box in
            if newPeer != nil, box.machine.isClosed {
                throw MediaError(.legClosed, "\(self) is closed")
            }
            let old = box.peer
            box.peer = newPeer
            return old
        }
    }

    /// Forgets the bridged leg if it is `leg`.
    func clearPeer(ifIs leg: MediaLeg) {
        box.withLockedValue { box in
            if box.peer === leg { box.peer = nil }
        }
    }

    private static func usable(_ address: SocketAddress?) -> SocketAddress? {
        guard let address, let port = address.port, port != 0 else { return nil }
        switch address.ipAddress {
        case "0.0.0.0", "::": return nil
        default: return address
        }
    }
}
