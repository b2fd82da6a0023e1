import NIOCore
import SIPServer

/// The media relay as the call engine uses it (implemented over the Media module).
protocol CallMediaRelay: AnyObject {
    /// RTP inactivity after which an answered call is hung up (`--rtp-timeout`); nil: never.
    var inactivityTimeout: TimeAmount? { get }
    /// Opens RTP/RTCP ports for one leg toward `destination` (whose host confirms an SDP address
    /// on the same host for strict RTP); `completion` runs on the call loop.
    func openPort(toward destination: SIPEndpoint, _ completion: @escaping (Result<any CallMediaPort, any Error>) -> Void)
    /// Whether a port is still being opened (shutdown waits for none to be; an opening in flight only
    /// waits for its registration and reports to its caller, whose channel is gone by then and closes it).
    var isOpening: Bool { get }
}

/// One leg's RTP/RTCP ports.
protocol CallMediaPort: AnyObject {
    /// The address to put in our SDP.
    var host: String { get }
    var port: Int { get }
    /// The far end's address from its SDP (strict symmetric RTP may learn another source).
    func setRemote(host: String, port: Int)
    /// With `counting` (the call is up and not on hold): nanoseconds (monotonic clock) since the
    /// far end last sent accepted RTP/RTCP or since counting started, whichever is later.
    /// Without: 0, and counting restarts next time.
    func idleTime(at now: UInt64, counting: Bool) -> UInt64
    /// Relays audio both ways between this leg and `other`.
    func bridge(with other: any CallMediaPort)
    func unbridge()
    /// Plays the country's ringback to the far end until `stopTone()`.
    func startRingback(payloadType: Int, country: String)
    func stopTone()
    func close()
}
