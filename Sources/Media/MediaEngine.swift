import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// Anchors the media of calls: opens legs on ports of a range, relays RTP/RTCP between bridged
/// legs with symmetric-RTP latching, and plays progress tones.
///
/// One engine per node. Thread-safe; every method may be called from any thread or task.
///
/// ```swift
/// let engine = try MediaEngine(group: group, bindHost: "0.0.0.0", portRange: 10000...20000)
/// let caller = try await engine.openLeg()                    // SDP answer: caller.localRTPPort
/// caller.setRemote(rtp: callerSDPAddress, rtcp: nil)
/// try engine.playRingback(on: caller, payloadType: 0, country: "it")
/// let callee = try await engine.openLeg(colocatedWith: caller) // SDP offer to the callee
/// // ... 200 OK from the callee:
/// callee.setRemote(rtp: calleeSDPAddress, rtcp: nil)
/// engine.stopTone(on: caller)
/// try engine.bridge(caller, callee)
/// // ... BYE:
/// await caller.close(); await callee.close()
/// ```
public final class MediaEngine: Sendable {
    /// How many port pairs `openLeg` tries when binding fails (a port taken by another process).
    public static let maximumBindAttempts = 16
    /// Receive buffer per datagram: an Ethernet MTU's worth of RTP fits; longer datagrams are
    /// truncated (and then usually still relayed as is, RTP has no length field).
    public static let maximumDatagramSize = 2048
    /// Datagrams read per wake-up before yielding to other channels on the loop.
    static let maximumMessagesPerRead: UInt = 16

    /// How long a pair that could not be bound stays out of rotation: a port held by another
    /// process (an outgoing connection's ephemeral port, another service) is usually held for
    /// seconds to minutes, so the next call should not try it again at once.
    public static let bindFailureQuarantine = TimeAmount.seconds(60)
    /// How long a closed leg's sockets stay parked before another leg takes them over (unless the
    /// range is exhausted): the old far end has stopped sending long before.
    /// SIPp, for one, plays its RTP file to the end after the BYE.
    public static let socketPoolIdle = TimeAmount.milliseconds(2_500)
    /// Parked sockets older than this are closed (a quiet node holds no descriptors for nothing),
    /// within `socketPoolSweepPeriod`.
    public static let socketPoolMaximumAge = TimeAmount.milliseconds(3_500)
    static let socketPoolSweepPeriod = TimeAmount.milliseconds(500)
    /// Datagrams read and discarded from a parked socket before reuse; past it (a flood) the
    /// sockets are closed instead of reused.
    static let maximumDrainedDatagrams = 1024

    public let group: any EventLoopGroup
    /// The address the leg sockets bind to, e.g. `127.0.0.1` or `0.0.0.0`.
    public let bindHost: String
    /// See `SymmetricLatch`; nil (the default) disables re-latching on silence.
    public let relatchAfterSilence: TimeAmount?
    /// Strict RTP (`--rtp-strict`, `--rtp-probation`), applied to every leg.
    public let strictRTP: StrictRTPPolicy
    /// RTP inactivity after which the call layer hangs an answered call up (`--rtp-timeout`,
    /// Asterisk's `rtptimeout`); nil: never. The engine only carries it; legs report
    /// `MediaLeg.lastActivity`.
    public let inactivityTimeout: TimeAmount?

    private let socketPoolMaximumAge: TimeAmount
    private let state: NIOLockedValueBox<State>
    /// Serialises bridge changes so both sides of a bridge always agree.
    private let bridgeLock = NIOLock()

    private struct State: Sendable {
        var allocator: RTPPortAllocator
        var legs: [ObjectIdentifier: MediaLeg] = [:]
        /// Counters of the legs already closed.
        var closedTotals = MediaLegStatistics()
        /// Ports that could not be bound (held by another socket).
        var bindFailures: UInt64 = 0
        /// Closed legs' sockets waiting for the next leg.
        var pool: MediaSocketPool
        /// Legs that took parked sockets instead of binding new ones, since start.
        var reusedSockets: UInt64 = 0
        /// Whether a sweep of old parked sockets is scheduled.
        var sweepScheduled = false
    }

    /// Throws `invalidPortRange` when `portRange` holds no even RTP port with RTCP on + 1.
    /// `socketPoolLimit`: how many closed legs' socket pairs are kept bound for the next legs
    /// (0: every leg opens and closes its own sockets); they stay counted against the range. A leg
    /// takes a random one of those parked for `socketPoolIdle` while `socketPoolMinimumChoice` are
    /// (see `MediaSocketPool`); pairs parked for `socketPoolMaximumAge` are closed.
    public init(
        group: any EventLoopGroup, bindHost: String = "127.0.0.1",
        portRange: ClosedRange<Int> = RTPPortAllocator.defaultRange,
        relatchAfterSilence: TimeAmount? = nil, strictRTP: StrictRTPPolicy = StrictRTPPolicy(),
        inactivityTimeout: TimeAmount? = nil, socketPoolLimit: Int = 0, socketPoolIdle: TimeAmount = MediaEngine.socketPoolIdle,
        socketPoolMinimumChoice: Int = 16, socketPoolMaximumAge: TimeAmount = MediaEngine.socketPoolMaximumAge
    ) throws {
        self.group = group
        self.bindHost = bindHost
        self.relatchAfterSilence = relatchAfterSilence
        self.strictRTP = strictRTP
        self.inactivityTimeout = inactivityTimeout
        self.socketPoolMaximumAge = socketPoolMaximumAge
        let pool = MediaSocketPool(
            limit: socketPoolLimit, minimumIdle: UInt64(max(0, socketPoolIdle.nanoseconds)), minimumChoice: socketPoolMinimumChoice)
        self.state = NIOLockedValueBox(State(allocator: try RTPPortAllocator(range: portRange), pool: pool))
    }

    /// Port pairs handed out now (one per open leg, plus any being bound or closed), not counting
    /// the parked ones.
    public var portPairsInUse: Int { state.withLockedValue { $0.allocator.inUseCount - $0.pool.count } }
    /// Socket pairs of closed legs kept bound for the next legs (their ports count as taken).
    public var parkedPortPairs: Int { state.withLockedValue { $0.pool.count } }
    /// Legs that took parked sockets instead of binding their own, since start.
    public var reusedSocketPairs: UInt64 { state.withLockedValue { $0.reusedSockets } }
    /// Port pairs the range holds.
    public var portPairCapacity: Int { state.withLockedValue { $0.allocator.capacity } }
    /// Legs opened and not yet closed.
    public var openLegCount: Int { state.withLockedValue { $0.legs.count } }
    /// Pairs out of rotation because they could not be bound.
    public var quarantinedPortPairs: Int { state.withLockedValue { $0.allocator.quarantinedCount } }
    /// Ports that could not be bound since start (held by another socket).
    public var bindFailures: UInt64 { state.withLockedValue { $0.bindFailures } }

    /// The packet counters of every leg since start (closed and open), for `/metrics`.
    public var totals: MediaLegStatistics {
        let (closed, open) = state.withLockedValue { ($0.closedTotals, Array($0.legs.values)) }
        return open.reduce(into: closed) { sum, leg in sum.add(leg.statistics) }
    }

    /// Opens a leg: takes a port pair and binds its RTP and RTCP sockets, on `eventLoop` or the
    /// group's next loop. Throws `portRangeExhausted`, or `bindFailed` after
    /// `maximumBindAttempts` pairs could not be bound.
    public func openLeg(on eventLoop: (any EventLoop)? = nil) async throws -> MediaLeg {
        try await openLegFuture(on: eventLoop).get()
    }

    /// `openLeg(on:)` without Swift concurrency, for callers on an event loop: the sockets are
    /// created and bound on the calling thread (a port held by another socket fails at once, its
    /// descriptors are closed and the next pair is tried), then both are registered with the leg's
    /// loop in one hop. The future completes on that loop.
    public func openLegFuture(on eventLoop: (any EventLoop)? = nil) -> EventLoopFuture<MediaLeg> {
        if let parked = takeParked(on: eventLoop, anyAge: false) { return reuse(parked) }
        let loop = eventLoop ?? group.next()
        var failed: [RTPPortPair] = []
        var lastError: (any Error)?
        for _ in 0..<Self.maximumBindAttempts {
            let now = NIODeadline.now().uptimeNanoseconds
            let pair: RTPPortPair
            do {
                pair = try state.withLockedValue { try $0.allocator.allocate(at: now) }
            } catch {
                // Parked sockets hold ports too: the range is exhausted only when none is parked.
                if let parked = takeParked(on: nil, anyAge: true) { return reuse(parked) }
                return loop.makeFailedFuture(error)
            }
            do {
                let descriptors = try bindDescriptors(pair)
                return register(pair, descriptors, on: loop)
            } catch {
                // Out of rotation for a while: the next attempt (and the next call) gets another pair.
                let until = now + UInt64(Self.bindFailureQuarantine.nanoseconds)
                state.withLockedValue { state in
                    state.allocator.quarantine(pair, until: until)
                    state.bindFailures += 1
                }
                failed.append(pair)
                lastError = error
            }
        }
        return loop.makeFailedFuture(
            MediaError(.bindFailed, "\(bindHost): \(failed.map(\.description)) failed, last: \(String(describing: lastError))"))
    }

    /// Opens a leg on the same event loop as `leg`, so relaying between the two never hops
    /// threads. Use it for the second leg of a call.
    public func openLeg(colocatedWith leg: MediaLeg) async throws -> MediaLeg {
        try await openLeg(on: leg.eventLoop)
    }

    /// Relays RTP and RTCP between `a` and `b`, both ways, untouched. A leg bridged elsewhere is
    /// unbridged from its old peer first. Throws `legClosed` or `bridgeToSelf`.
    public func bridge(_ a: MediaLeg, _ b: MediaLeg) throws {
        guard a !== b else { throw MediaError(.bridgeToSelf, "\(a)") }
        try bridgeLock.withLock {
            let oldA = try a.exchangePeer(b)
            let oldB: MediaLeg?
            do {
                oldB = try b.exchangePeer(a)
            } catch {
                _ = try? a.exchangePeer(oldA)
                throw error
            }
            if let oldA, oldA !== b { oldA.clearPeer(ifIs: a) }
            if let oldB, oldB !== a { oldB.clearPeer(ifIs: b) }
        }
    }

    /// Ends the bridge `leg` is in, if any; both legs then drop what they receive.
    public func unbridge(_ leg: MediaLeg) {
        bridgeLock.withLock {
            let old = try? leg.exchangePeer(nil)
            if let old = old ?? nil { old.clearPeer(ifIs: leg) }
        }
    }

    /// Closes every open leg and the parked sockets (at shutdown).
    public func closeAllLegs() async {
        let legs = state.withLockedValue { Array($0.legs.values) }
        for leg in legs {
            await leg.close()
        }
        for sockets in state.withLockedValue({ $0.pool.removeAll() }) {
            try? await closeParked(sockets).get()
        }
    }

    /// A leg is closed: it leaves the open legs, and its ports go back to the allocator unless its
    /// sockets were parked.
    func legDidClose(_ leg: MediaLeg, parked: Bool) {
        let statistics = leg.statistics
        state.withLockedValue { state in
            if state.legs.removeValue(forKey: ObjectIdentifier(leg)) != nil {
                state.closedTotals.add(statistics)
            }
            if !parked { state.allocator.release(leg.ports) }
        }
    }

    /// A closing leg's sockets: detached from it on their loop (from then on they drop what they
    /// receive), then parked for the next leg, or closed when the pool is full or they are closed.
    func retire(_ sockets: MediaLegSockets, of leg: MediaLeg) -> EventLoopFuture<Void> {
        let loop = sockets.eventLoop
        return loop.flatSubmit {
            sockets.attach(to: nil)
            let now = NIODeadline.now().uptimeNanoseconds
            let room = self.state.withLockedValue { $0.pool.count < $0.pool.limit }
            let quiet = room && sockets.park(limit: Self.maximumDrainedDatagrams)
            let (parked, sweep) = self.state.withLockedValue { state -> (Bool, Bool) in
                guard quiet, state.pool.park(sockets, at: now) else { return (false, false) }
                defer { state.sweepScheduled = true }
                return (true, !state.sweepScheduled)
            }
            if parked {
                self.legDidClose(leg, parked: true)
                if sweep { self.scheduleSweep(on: loop) }
                return loop.makeSucceededVoidFuture()
            }
            // Ports go back to the allocator only once both sockets are closed.
            return sockets.close().always { _ in self.legDidClose(leg, parked: false) }
        }.recover { _ in
            // The loop is gone (shutdown): the sockets close with it.
            self.legDidClose(leg, parked: false)
        }
    }

    /// Closes the parked sockets older than `socketPoolMaximumAge`, every `socketPoolSweepPeriod`
    /// (or sooner for a shorter age) while any is parked.
    private func scheduleSweep(on loop: any EventLoop) {
        let period = TimeAmount.nanoseconds(max(1_000_000, min(Self.socketPoolSweepPeriod.nanoseconds, socketPoolMaximumAge.nanoseconds / 2)))
        loop.scheduleTask(in: period) {
            let now = NIODeadline.now().uptimeNanoseconds
            let age = UInt64(max(0, self.socketPoolMaximumAge.nanoseconds))
            let (old, again) = self.state.withLockedValue { state in
                let old = now > age ? state.pool.removeParked(before: now - age) : []
                state.sweepScheduled = state.pool.count > 0
                return (old, state.sweepScheduled)
            }
            for sockets in old { self.closeParked(sockets) }
            if again { self.scheduleSweep(on: loop) }
        }
    }

    private func takeParked(on loop: (any EventLoop)?, anyAge: Bool) -> MediaLegSockets? {
        let now = NIODeadline.now().uptimeNanoseconds
        return state.withLockedValue { $0.pool.count > 0 ? $0.pool.take(on: loop, at: now, anyAge: anyAge) : nil }
    }

    /// A new leg on parked sockets: on their loop, whatever waits in them is read and dropped, then
    /// they are the new leg's. Sockets that cannot be emptied are closed and a leg opened anew.
    private func reuse(_ sockets: MediaLegSockets) -> EventLoopFuture<MediaLeg> {
        let loop = sockets.eventLoop
        let take: @Sendable () -> EventLoopFuture<MediaLeg> = {
            guard sockets.unpark(limit: Self.maximumDrainedDatagrams) else {
                return self.closeParked(sockets).flatMap { self.openLegFuture(on: loop) }
            }
            let leg = self.makeLeg(sockets.ports, on: loop)
            sockets.attach(to: leg)
            leg.attach(sockets)
            self.state.withLockedValue { state in
                state.legs[ObjectIdentifier(leg)] = leg
                state.reusedSockets += 1
            }
            return loop.makeSucceededFuture(leg)
        }
        // Always one task later, as a fresh leg's registration: callers never see their completion
        // run inside `openLegFuture`.
        return loop.flatSubmit(take)
    }

    /// Closes sockets taken from the pool; their ports go back to the allocator.
    @discardableResult
    private func closeParked(_ sockets: MediaLegSockets) -> EventLoopFuture<Void> {
        sockets.close().always { _ in
            _ = self.state.withLockedValue { $0.allocator.release(sockets.ports) }
        }
    }

    private func makeLeg(_ pair: RTPPortPair, on loop: any EventLoop) -> MediaLeg {
        MediaLeg(
            engine: self, ports: pair, localHost: bindHost, eventLoop: loop,
            relatchAfterSilence: relatchAfterSilence.map { UInt64(max(0, $0.nanoseconds)) },
            policy: strictRTP)
    }

    /// Creates the RTP and RTCP sockets of `pair` and binds them; closes both when either fails.
    /// No SO_REUSEADDR: on Linux it would let two UDP sockets share a port. An IP literal is parsed,
    /// not resolved (`getaddrinfo` for every socket cost ~4% of a click-to-call's CPU).
    private func bindDescriptors(_ pair: RTPPortPair) throws -> (rtp: CInt, rtcp: CInt) {
        let rtp = try bindDescriptor(port: pair.rtp)
        do {
            return (rtp, try bindDescriptor(port: pair.rtcp))
        } catch {
            close(rtp)
            throw error
        }
    }

    private func bindDescriptor(port: Int) throws -> CInt {
        let address = try (try? SocketAddress(ipAddress: bindHost, port: port)) ?? SocketAddress.makeAddressResolvingHost(bindHost, port: port)
        let descriptor = socket(address.protocol.rawValue, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw IOError(errnoCode: errno, reason: "socket") }
        let bound = address.withSockAddr { bind(descriptor, $0, socklen_t($1)) }
        guard bound == 0 else {
            let code = errno
            close(descriptor)
            throw IOError(errnoCode: code, reason: "bind \(address)")
        }
        return descriptor
    }

    /// Registers the bound sockets of a new leg with `loop` (one hop); on failure closes what was
    /// registered and returns the pair.
    private func register(_ pair: RTPPortPair, _ descriptors: (rtp: CInt, rtcp: CInt), on loop: any EventLoop) -> EventLoopFuture<MediaLeg> {
        let leg = makeLeg(pair, on: loop)
        return loop.flatSubmit {
            let rtp = self.channel(for: leg, kind: .rtp, descriptor: descriptors.rtp, on: loop)
            let rtcp = self.channel(for: leg, kind: .rtcp, descriptor: descriptors.rtcp, on: loop)
            return rtp.and(rtcp).map { rtp, rtcp in
                leg.attach(
                    MediaLegSockets(
                        ports: pair, eventLoop: loop, rtp: rtp.channel, rtcp: rtcp.channel, rtpHandler: rtp.handler, rtcpHandler: rtcp.handler,
                        rtpDescriptor: descriptors.rtp, rtcpDescriptor: descriptors.rtcp))
                self.state.withLockedValue { $0.legs[ObjectIdentifier(leg)] = leg }
                return leg
            }.flatMapError { error in
                // Registration failed (the loop is shutting down): close what did register.
                let closes = [rtp, rtcp].map { $0.flatMap { $0.channel.close() }.recover { _ in } }
                return EventLoopFuture.andAllComplete(closes, on: loop).flatMapThrowing {
                    _ = self.state.withLockedValue { $0.allocator.release(pair) }
                    throw error
                }
            }
        }
    }

    private func channel(
        for leg: MediaLeg, kind: MediaStreamKind, descriptor: CInt, on loop: any EventLoop
    ) -> EventLoopFuture<(channel: any Channel, handler: NIOLoopBound<MediaLegHandler>)> {
        let handler = MediaLegHandler(leg: leg, kind: kind)
        let bound = NIOLoopBound(handler, eventLoop: loop)
        return DatagramBootstrap(group: loop)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: Self.maximumDatagramSize))
            .channelOption(.maxMessagesPerRead, value: Self.maximumMessagesPerRead)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(bound.value)
                }
            }
            .withBoundSocket(descriptor)
            .map { (channel: $0, handler: bound) }
    }
}
