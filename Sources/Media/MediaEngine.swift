import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

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

    public let group: any EventLoopGroup
    /// The address the leg sockets bind to, e.g. `127.0.0.1` or `0.0.0.0`.
    public let bindHost: String
    /// See `SymmetricLatch`; nil (the default) disables re-latching on silence.
    public let relatchAfterSilence: TimeAmount?

    private let state: NIOLockedValueBox<State>
    /// Serialises bridge changes so both sides of a bridge always agree.
    private let bridgeLock = NIOLock()

    private struct State: Sendable {
        var allocator: RTPPortAllocator
        var legs: [ObjectIdentifier: MediaLeg] = [:]
    }

    /// Throws `invalidPortRange` when `portRange` holds no even RTP port with RTCP on + 1.
    public init(group: any EventLoopGroup, bindHost: String = "127.0.0.1",
                portRange: ClosedRange<Int> = RTPPortAllocator.defaultRange,
                relatchAfterSilence: TimeAmount? = nil) throws {
        self.group = group
        self.bindHost = bindHost
        self.relatchAfterSilence = relatchAfterSilence
        self.state = NIOLockedValueBox(State(allocator: try RTPPortAllocator(range: portRange)))
    }

    /// Port pairs handed out now (one per open leg, plus any being bound or closed).
    public var portPairsInUse: Int { state.withLockedValue { $0.allocator.inUseCount } }
    /// Port pairs the range holds.
    public var portPairCapacity: Int { state.withLockedValue { $0.allocator.capacity } }
    /// Legs opened and not yet closed.
    public var openLegCount: Int { state.withLockedValue { $0.legs.count } }

    /// Opens a leg: takes a port pair and binds its RTP and RTCP sockets, on `eventLoop` or the
    /// group's next loop. Throws `portRangeExhausted`, or `bindFailed` after
    /// `maximumBindAttempts` pairs could not be bound.
    public func openLeg(on eventLoop: (any EventLoop)? = nil) async throws -> MediaLeg {
        let loop = eventLoop ?? group.next()
        var failed: [RTPPortPair] = []
        defer {
            if !failed.isEmpty {
                state.withLockedValue { state in
                    for pair in failed { state.allocator.release(pair) }
                }
            }
        }
        var lastError: (any Error)?
        for _ in 0..<Self.maximumBindAttempts {
            let pair = try state.withLockedValue { try $0.allocator.allocate() }
            do {
                return try await bindLeg(pair, on: loop)
            } catch {
                failed.append(pair) // kept until we give up, so the next attempt gets another pair
                lastError = error
            }
        }
        throw MediaError(.bindFailed, "\(bindHost): \(failed.map(\.description)) failed, last: \(String(describing: lastError))")
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

    /// Closes every open leg (at shutdown).
    public func closeAllLegs() async {
        let legs = state.withLockedValue { Array($0.legs.values) }
        for leg in legs {
            await leg.close()
        }
    }

    /// A leg's sockets are closed: its ports go back to the pool.
    func legDidClose(_ leg: MediaLeg) {
        state.withLockedValue { state in
            state.legs[ObjectIdentifier(leg)] = nil
            state.allocator.release(leg.ports)
        }
    }

    private func bindLeg(_ pair: RTPPortPair, on loop: any EventLoop) async throws -> MediaLeg {
        let leg = MediaLeg(engine: self, ports: pair, localHost: bindHost, eventLoop: loop,
                           relatchAfterSilence: relatchAfterSilence.map { UInt64(max(0, $0.nanoseconds)) })
        let rtp = try await bindSocket(for: leg, kind: .rtp, port: pair.rtp, on: loop)
        let rtcp: any Channel
        do {
            rtcp = try await bindSocket(for: leg, kind: .rtcp, port: pair.rtcp, on: loop)
        } catch {
            try? await rtp.close()
            throw error
        }
        leg.attach(rtp: rtp, rtcp: rtcp)
        state.withLockedValue { $0.legs[ObjectIdentifier(leg)] = leg }
        return leg
    }

    private func bindSocket(for leg: MediaLeg, kind: MediaStreamKind, port: Int,
                            on loop: any EventLoop) async throws -> any Channel {
        // No SO_REUSEADDR: on Linux it would let two UDP sockets share a port.
        try await DatagramBootstrap(group: loop)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: Self.maximumDatagramSize))
            .channelOption(.maxMessagesPerRead, value: Self.maximumMessagesPerRead)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(MediaLegHandler(leg: leg, kind: kind))
                }
            }
            .bind(host: bindHost, port: port)
            .get()
    }
}
