import NIOCore

extension MediaEngine {
    /// Plays the national ringback of `country` (`it` default and fallback, `us`, `gb`/`uk`,
    /// `de`, `fr`) to the far end of `leg`, as 20 ms RTP packets of `payloadType` 0 (PCMU) or
    /// 8 (PCMA) with their own random SSRC, sequence and timestamp origin.
    ///
    /// The tone goes to the leg's RTP destination (latched source, else SDP address) and keeps
    /// playing until `stopTone(on:)`, `close()`, another tone, or the first RTP packet relayed
    /// to this leg from its bridge (early media replaces ringback). Throws
    /// `unsupportedPayloadType` or `legClosed`.
    public func playRingback(on leg: MediaLeg, payloadType: UInt8, country: String = "it") throws {
        try playTone(on: leg, cadence: ToneCadence.ringback(country: country), payloadType: payloadType)
    }

    /// Plays any cadence (busy, congestion, ...) the same way as `playRingback`.
    public func playTone(on leg: MediaLeg, cadence: ToneCadence, payloadType: UInt8) throws {
        var random = SystemRandomNumberGenerator()
        let stream = try ToneStream(
            generator: ToneGenerator(cadence: cadence),
            payloadType: payloadType,
            ssrc: random.next(),
            firstSequence: random.next(),
            firstTimestamp: random.next(),
            startTime: NIODeadline.now().uptimeNanoseconds)
        try leg.startTone(stream)
    }

    /// Stops the tone playing on `leg`, if any.
    public func stopTone(on leg: MediaLeg) {
        leg.stopTone()
    }
}
