import Foundation
import Logging
import Media
import NIOCore
import SIPServer

/// The call engine's media relay over the Media module: one `MediaLeg` (RTP + RTCP sockets) per
/// SIP channel, opened on the call loop's side and handed back there. Every leg of a shard runs on
/// one media loop (`mediaLoop`), so both legs of a call relay on one thread (no hop between loops
/// per packet); `CallService` gives each shard the next loop after its own, so a busy tenant's RTP
/// and its signalling use two cores instead of sharing one.
final class MediaRelayAdapter: CallMediaRelay {
    let engine: MediaEngine
    /// The engine shard's loop: completions come back here.
    let loop: any EventLoop
    /// Where this shard's legs relay.
    let mediaLoop: any EventLoop
    /// The address phones and trunks are told to send audio to, for a leg toward `destination`.
    let advertisedHost: @Sendable (SIPEndpoint) -> String
    let logger: Logger
    /// Leg openings in flight: their sockets are bound already, each waits for one hop to the media
    /// loop and back (`MediaEngine.openLegFuture`). Confined to `loop`.
    private var openings = 0

    init(
        engine: MediaEngine, loop: any EventLoop, mediaLoop: any EventLoop, logger: Logger,
        advertisedHost: @escaping @Sendable (SIPEndpoint) -> String
    ) {
        self.engine = engine
        self.loop = loop
        self.mediaLoop = mediaLoop
        self.logger = logger
        self.advertisedHost = advertisedHost
    }

    var inactivityTimeout: TimeAmount? { engine.inactivityTimeout }

    /// Opens a leg without a task: binding happens here, registration on the media loop, and the
    /// completion comes back to the call loop (two hops; a task and the async bind took four or more).
    func openPort(toward destination: SIPEndpoint, _ completion: @escaping (Result<any CallMediaPort, any Error>) -> Void) {
        let bound = NIOLoopBound(completion, eventLoop: loop)
        let engine = self.engine
        let loop = self.loop
        let host = advertisedHost(destination)
        let peerHost = destination.ip
        let logger = self.logger
        openings += 1
        let owner = NIOLoopBound(self, eventLoop: loop)
        engine.openLegFuture(on: mediaLoop).hop(to: loop).whenComplete { result in
            owner.value.openings -= 1
            bound.value(result.map { MediaPortAdapter(engine: engine, leg: $0, host: host, peerHost: peerHost, logger: logger) })
        }
    }

    var isOpening: Bool { openings > 0 }
}

/// One leg's ports as the engine sees them. Confined to the call loop.
final class MediaPortAdapter: CallMediaPort {
    let engine: MediaEngine
    let leg: MediaLeg
    let host: String
    /// The host the peer's SIP comes from (and goes to): an SDP address on this host is confirmed
    /// by signalling, so strict RTP accepts it at once; any other must pass probation.
    let peerHost: String
    let logger: Logger
    /// When inactivity started counting (the call was seen up and off hold); nil while it does not.
    private var activeSince: UInt64?

    init(engine: MediaEngine, leg: MediaLeg, host: String, peerHost: String, logger: Logger) {
        self.engine = engine
        self.leg = leg
        self.host = host
        self.peerHost = peerHost
        self.logger = logger
    }

    var port: Int { leg.localRTPPort }

    func setRemote(host: String, port: Int) {
        let rtp = try? SocketAddress(ipAddress: host, port: port)
        // RTCP is the next port; an SDP port of 65535 has none (NIO's in_port_t(65536) would trap).
        let rtcp = port < 65_535 ? try? SocketAddress(ipAddress: host, port: port + 1) : nil
        leg.setRemote(
            rtp: rtp, rtcp: rtcp, confirmed: Self.sameHost(host, peerHost),
            signallingHost: Self.canonicalHost(peerHost))
    }

    func idleTime(at now: UInt64, counting: Bool) -> UInt64 {
        guard counting else {
            activeSince = nil
            return 0
        }
        guard let since = activeSince else {
            activeSince = now  // counting starts now: the call just went up or came off hold
            return 0
        }
        let last = max(leg.lastActivity, since)
        return now > last ? now - last : 0
    }

    /// Whether two textual IP addresses are the same host (IPv6 spelled differently too).
    static func sameHost(_ a: String, _ b: String) -> Bool {
        guard let x = canonicalHost(a), let y = canonicalHost(b) else { return false }
        return x == y
    }

    /// An IP address as `SocketAddress.ipAddress` spells it (what strict RTP compares), nil if not one.
    static func canonicalHost(_ text: String) -> String? {
        guard !text.isEmpty else { return nil }
        return (try? SocketAddress(ipAddress: text, port: 0))?.ipAddress
    }

    func bridge(with other: any CallMediaPort) {
        guard let other = other as? MediaPortAdapter else { return }
        do {
            try engine.bridge(leg, other.leg)
        } catch {
            logger.warning("cannot bridge media", metadata: ["error": "\(error)"])
        }
    }

    func unbridge() {
        engine.unbridge(leg)
    }

    func startRingback(payloadType: Int, country: String) {
        guard payloadType == 0 || payloadType == 8 else { return }
        try? engine.playRingback(on: leg, payloadType: UInt8(payloadType), country: country)
    }

    func stopTone() {
        engine.stopTone(on: leg)
    }

    func close() {
        _ = leg.closeFuture()
    }
}
