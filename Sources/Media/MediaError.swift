/// Why a media operation failed, with enough context for a log line.
///
/// The SIP channel driver maps most of these to a failed call set-up: `portRangeExhausted` and
/// `bindFailed` become `503 Service Unavailable` (no media resources), the others are our own
/// sequencing mistakes and deserve a `500`.
public struct MediaError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of problem, for logs and tests.
    public enum Code: String, Sendable, Hashable {
        /// The configured port range is empty, odd-sized to nothing, or outside 1...65535.
        case invalidPortRange
        /// Every RTP/RTCP pair of the range is in use.
        case portRangeExhausted
        /// The sockets of a leg could not be bound (after retrying other pairs).
        case bindFailed
        /// The leg was closed; it can no longer be bridged or play tones.
        case legClosed
        /// A leg cannot be bridged to itself.
        case bridgeToSelf
        /// Tones are generated only as PCMU (0) or PCMA (8).
        case unsupportedPayloadType
    }

    public var code: Code
    /// Human-readable detail, e.g. the range or the port concerned.
    public var context: String

    public init(_ code: Code, _ context: String) {
        self.code = code
        self.context = context
    }

    public var description: String { "\(code.rawValue): \(context)" }
}
