/// The media relay as the call engine uses it (implemented over the Media module).
protocol CallMediaRelay: AnyObject {
    /// Opens RTP/RTCP ports for one leg; `completion` runs on the call loop.
    func openPort(toward destination: SIPEndpoint, _ completion: @escaping (Result<any CallMediaPort, any Error>) -> Void)
}

/// One leg's RTP/RTCP ports.
protocol CallMediaPort: AnyObject {
    /// The address to put in our SDP.
    var host: String { get }
    var port: Int { get }
    /// The far end's address from its SDP (symmetric RTP may latch elsewhere).
    func setRemote(host: String, port: Int)
    /// Relays audio both ways between this leg and `other`.
    func bridge(with other: any CallMediaPort)
    func unbridge()
    /// Plays the country's ringback to the far end until `stopTone()`.
    func startRingback(payloadType: Int, country: String)
    func stopTone()
    func close()
}
