/// How a leg learns whom to accept RTP from (Asterisk's `strictrtp` and `probation` in `rtp.conf`).
///
/// With `enabled` (the default, as Asterisk's `strictrtp=yes`), a stream learns its source either
/// from a packet whose source is exactly the address the far end's SDP announced, when that SDP
/// address is confirmed by signalling (`MediaLeg.setRemote(rtp:rtcp:confirmed:)`), or else after
/// `probation` packets with consecutive sequence numbers from one source, arriving no faster than
/// real audio would. Once learnt, packets from every other source are dropped and counted
/// (`MediaLegStatistics.droppedWrongSource`). Disabled, the first valid packet latches (plain
/// symmetric RTP, as before strict RTP existed), which lets a stranger who is first take the stream.
public struct StrictRTPPolicy: Sendable, Hashable {
    /// Consecutive packets a source needs to be learnt without confirmed SDP: Asterisk's default
    /// `probation` (`DEFAULT_LEARNING_MIN_SEQUENTIAL` in `res_rtp_asterisk.c`).
    public static let defaultProbation = 4
    /// Largest accepted `--rtp-probation`: 100 packets of 20 ms are two seconds of one-way audio.
    public static let maximumProbation = 100
    /// After a source is learnt, for this long another source may still take over by passing
    /// probation while the learnt one is silent; then the stream locks. Asterisk's
    /// `STRICT_RTP_LEARN_TIMEOUT` (5 s), which lets re-INVITE chains settle.
    public static let learningWindowNanoseconds: UInt64 = 5_000_000_000

    /// Whether strict RTP is on (`--rtp-strict yes`).
    public var enabled: Bool
    /// Consecutive sequence numbers needed from an unconfirmed source (`--rtp-probation`), ≥ 1.
    public var probation: Int

    public init(enabled: Bool = true, probation: Int = StrictRTPPolicy.defaultProbation) {
        self.enabled = enabled
        self.probation = min(max(1, probation), Self.maximumProbation)
    }

    /// The shortest time the `probation` packets may span: 9 ms per packet minus 5 ms of jitter,
    /// Asterisk's `CALC_LEARNING_MIN_DURATION` (the smallest RTP packet is 10 ms of audio). A
    /// faster burst is a flood, not a phone, and restarts probation.
    public var minimumProbationNanoseconds: UInt64 {
        let milliseconds = max(0, (probation - 1) * 9 - 5)
        return UInt64(milliseconds) * 1_000_000
    }
}
