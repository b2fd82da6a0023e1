import Foundation
import Logging
import Media
import NIOCore

/// The call engine's media relay over the Media module: one `MediaLeg` (RTP + RTCP sockets) per
/// SIP channel, opened on the call loop's side and handed back there.
final class MediaRelayAdapter: CallMediaRelay {
    let engine: MediaEngine
    let loop: any EventLoop
    /// The address phones and trunks are told to send audio to, for a leg toward `destination`.
    let advertisedHost: @Sendable (SIPEndpoint) -> String
    let logger: Logger

    init(engine: MediaEngine, loop: any EventLoop, logger: Logger, advertisedHost: @escaping @Sendable (SIPEndpoint) -> String) {
        self.engine = engine
        self.loop = loop
        self.logger = logger
        self.advertisedHost = advertisedHost
    }

    func openPort(toward destination: SIPEndpoint, _ completion: @escaping (Result<any CallMediaPort, any Error>) -> Void) {
        let bound = NIOLoopBound(completion, eventLoop: loop)
        let engine = self.engine
        let loop = self.loop
        let host = advertisedHost(destination)
        let logger = self.logger
        Task {
            do {
                let leg = try await engine.openLeg()
                loop.execute { bound.value(.success(MediaPortAdapter(engine: engine, leg: leg, host: host, logger: logger))) }
            } catch {
                loop.execute { bound.value(.failure(error)) }
            }
        }
    }
}

/// One leg's ports as the engine sees them.
final class MediaPortAdapter: CallMediaPort {
    let engine: MediaEngine
    let leg: MediaLeg
    let host: String
    let logger: Logger

    init(engine: MediaEngine, leg: MediaLeg, host: String, logger: Logger) {
        self.engine = engine
        self.leg = leg
        self.host = host
        self.logger = logger
    }

    var port: Int { leg.localRTPPort }

    func setRemote(host: String, port: Int) {
        let rtp = try? SocketAddress(ipAddress: host, port: port)
        let rtcp = try? SocketAddress(ipAddress: host, port: port + 1)
        leg.setRemote(rtp: rtp, rtcp: rtcp)
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
