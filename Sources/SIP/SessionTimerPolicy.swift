/// Our RFC 4028 session timer settings and how an INVITE's request for a session timer is
/// answered when we are its UAS. Defaults are Asterisk's `timers_sess_expires` (1800 s) and
/// `timers_min_se` (90 s, the RFC 4028 §4 floor).
public struct SessionTimerPolicy: Sendable, Hashable {
    /// Session interval we grant at most; 0 turns session timers off (no `Supported: timer`).
    public var sessionExpires: UInt32
    /// The smallest session interval we accept; smaller requests get 422 with this `Min-SE`.
    public var minimumSE: UInt32

    public static let defaultSessionExpires: UInt32 = 1800
    public static let defaultMinimumSE: UInt32 = 90
    /// The `Min-SE` header name (not among the names the parser knows by heart).
    public static let minSEHeader = SIPHeaderName("Min-SE")

    public init(sessionExpires: UInt32 = Self.defaultSessionExpires, minimumSE: UInt32 = Self.defaultMinimumSE) {
        self.sessionExpires = sessionExpires
        self.minimumSE = minimumSE
    }

    public var enabled: Bool { sessionExpires > 0 }

    public enum Decision: Sendable, Hashable {
        /// No session timer for this dialog (none asked for, or ours are off).
        case none
        /// `Session-Expires` or `Min-SE` is not a valid value: 400.
        case malformed(String)
        /// The interval is below our minimum: 422 with `Min-SE` (RFC 4028 §8.1).
        case tooSmall(minimumSE: UInt32)
        /// Granted: the `Session-Expires` of our 2xx (refresher always set) and whether the 2xx
        /// carries `Require: timer` (only when the UAC supports it, §9).
        case accept(SessionExpires, require: Bool)
    }

    /// How we answer a (re-)INVITE or UPDATE asking for a session timer, as its UAS (RFC 4028 §9).
    public func answer(_ request: SIPRequest) -> Decision {
        guard enabled, let value = request.headers[.sessionExpires] else { return .none }
        guard let asked = SessionExpires(value), asked.seconds > 0 else { return .malformed("Bad Session-Expires") }
        var floor: UInt32 = 0
        if let minSE = request.headers[Self.minSEHeader] {
            guard let parsed = SessionExpires.deltaSeconds(minSE) else { return .malformed("Bad Min-SE") }
            floor = parsed
        }
        guard asked.seconds >= minimumSE else { return .tooSmall(minimumSE: max(minimumSE, floor)) }
        // We may shorten the interval, never below either side's Min-SE (§9).
        let interval = asked.seconds > sessionExpires ? max(sessionExpires, floor, minimumSE) : asked.seconds
        let supports = Self.lists("timer", in: request.headers.all(.supported) + request.headers.all(.require))
        // A UAC without timer support cannot refresh: we do (§9). Otherwise its choice, else it.
        let refresher: SessionExpires.Refresher = supports ? (asked.refresher ?? .uac) : .uas
        return .accept(SessionExpires(seconds: min(interval, asked.seconds), refresher: refresher), require: supports)
    }

    /// Whether an option tag is in comma-separated header values (case-insensitive).
    static func lists(_ tag: String, in values: [String]) -> Bool {
        values.contains { value in
            value.split(separator: ",").contains { element in
                element.split(whereSeparator: { $0 == " " || $0 == "\t" }).first?.lowercased() == tag
            }
        }
    }
}
