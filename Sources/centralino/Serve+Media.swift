import Foundation
import Logging
import Media
import NIOCore
import NIOPosix

/// The media flags of `serve`: `--rtp-ports`, `--rtp-strict`, `--rtp-probation`, `--rtp-timeout`.
extension Serve {
    /// Asterisk's `rtptimeout` default in the sample `rtp.conf`/`pjsip.conf` (`rtp_timeout`): 60 s.
    static let defaultRTPTimeoutSeconds = 60
    /// Longest accepted `--rtp-timeout`: one day, far past any sensible silence.
    static let maximumRTPTimeoutSeconds = 86_400
    /// Where Linux keeps the range it picks ephemeral (outgoing) ports from.
    static let ephemeralPortRangePath = "/proc/sys/net/ipv4/ip_local_port_range"

    /// The media engine as the flags say, with a warning when the RTP range collides with the
    /// kernel's ephemeral ports.
    func makeMediaEngine(bindHost: String, logger: Logger) throws -> MediaEngine {
        let range = try rtpPortRange()
        let strictText = EnvironmentOption.resolve(rtpStrict, "CENTRALINO_RTP_STRICT", default: "yes").lowercased()
        let strict: Bool
        switch strictText {
        case "yes", "true", "on", "1": strict = true
        case "no", "false", "off", "0": strict = false
        default: throw CommandFailure("--rtp-strict \(strictText): expected yes or no")
        }
        let probation = try EnvironmentOption.resolveInt(rtpProbation, "CENTRALINO_RTP_PROBATION", default: StrictRTPPolicy.defaultProbation)
        guard (1...StrictRTPPolicy.maximumProbation).contains(probation) else {
            throw CommandFailure("--rtp-probation \(probation): expected 1-\(StrictRTPPolicy.maximumProbation) packets")
        }
        let timeout = try EnvironmentOption.resolveInt(rtpTimeout, "CENTRALINO_RTP_TIMEOUT", default: Self.defaultRTPTimeoutSeconds)
        guard (0...Self.maximumRTPTimeoutSeconds).contains(timeout) else {
            throw CommandFailure("--rtp-timeout \(timeout): expected 0 (off) to \(Self.maximumRTPTimeoutSeconds) seconds")
        }
        if let warning = Self.ephemeralOverlapWarning(range, kernelRange: Self.kernelEphemeralPortRange()) {
            logger.warning("\(warning)")
        }
        return try MediaEngine(
            group: MultiThreadedEventLoopGroup.singleton, bindHost: bindHost, portRange: range,
            strictRTP: StrictRTPPolicy(enabled: strict, probation: probation),
            inactivityTimeout: timeout == 0 ? nil : .seconds(Int64(timeout)),
            socketPoolLimit: Self.rtpSocketPoolLimit(range))
    }

    /// Closed legs' socket pairs kept bound for the next calls (`MediaEngine.socketPoolLimit`): a
    /// quarter of the range's pairs, at most 1,024 (two seconds of closing legs at 250 calls/s).
    static func rtpSocketPoolLimit(_ range: ClosedRange<Int>) -> Int {
        min(1024, (range.count / 2) / 4)
    }

    /// The kernel's ephemeral port range, nil when it cannot be read (not Linux).
    static func kernelEphemeralPortRange() -> ClosedRange<Int>? {
        guard let text = try? String(contentsOfFile: ephemeralPortRangePath, encoding: .utf8) else { return nil }
        let numbers = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).compactMap { Int($0) }
        guard numbers.count == 2, numbers[0] <= numbers[1] else { return nil }
        return numbers[0]...numbers[1]
    }

    /// The start-up warning for an RTP range that overlaps the ephemeral range, else nil.
    static func ephemeralOverlapWarning(_ range: ClosedRange<Int>, kernelRange: ClosedRange<Int>?) -> String? {
        guard let kernelRange, range.overlaps(kernelRange) else { return nil }
        let low = max(range.lowerBound, kernelRange.lowerBound)
        let high = min(range.upperBound, kernelRange.upperBound)
        return "--rtp-ports \(range.lowerBound)-\(range.upperBound) overlaps the kernel's ephemeral port range "
            + "\(kernelRange.lowerBound)-\(kernelRange.upperBound) (\(ephemeralPortRangePath)) at \(low)-\(high): "
            + "outgoing connections may take RTP ports; choose a range outside it"
    }
}
