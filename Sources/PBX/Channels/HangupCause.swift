/// A Q.850 hangup cause with Asterisk's text (`main/channel.c` `causes[]`) and its SIP mappings.
public struct HangupCause: Sendable, Hashable, RawRepresentable {
    public let rawValue: Int

    public init(rawValue: Int) {
        self.rawValue = rawValue
    }

    public static let unallocated = HangupCause(rawValue: 1)
    public static let noRouteDestination = HangupCause(rawValue: 3)
    public static let normalClearing = HangupCause(rawValue: 16)
    public static let userBusy = HangupCause(rawValue: 17)
    public static let noUserResponse = HangupCause(rawValue: 18)
    public static let noAnswer = HangupCause(rawValue: 19)
    public static let subscriberAbsent = HangupCause(rawValue: 20)
    public static let callRejected = HangupCause(rawValue: 21)
    public static let answeredElsewhere = HangupCause(rawValue: 26)
    public static let destinationOutOfOrder = HangupCause(rawValue: 27)
    public static let invalidNumberFormat = HangupCause(rawValue: 28)
    public static let normalUnspecified = HangupCause(rawValue: 31)
    public static let congestion = HangupCause(rawValue: 34)
    public static let temporaryFailure = HangupCause(rawValue: 41)
    public static let switchCongestion = HangupCause(rawValue: 42)
    public static let channelUnavailable = HangupCause(rawValue: 44)
    public static let bearerCapabilityNotAvailable = HangupCause(rawValue: 58)
    public static let facilityNotImplemented = HangupCause(rawValue: 69)
    public static let incompatibleDestination = HangupCause(rawValue: 88)
    public static let recoveryOnTimerExpiry = HangupCause(rawValue: 102)
    public static let interworking = HangupCause(rawValue: 127)

    static let texts: [Int: String] = [
        0: "Unknown", 1: "Unallocated (unassigned) number", 2: "No route to specified transmit network",
        3: "No route to destination", 5: "Misdialed trunk prefix", 6: "Channel unacceptable",
        7: "Call awarded and being delivered in an established channel", 8: "Pre-empted", 14: "Number ported elsewhere",
        16: "Normal Clearing", 17: "User busy", 18: "No user responding", 19: "User alerting, no answer",
        20: "Subscriber absent", 21: "Call Rejected", 22: "Number changed", 23: "Redirected to new destination",
        26: "Answered elsewhere", 27: "Destination out of order", 28: "Invalid number format", 29: "Facility rejected",
        30: "Response to STATus ENQuiry", 31: "Normal, unspecified", 34: "Circuit/channel congestion",
        38: "Network out of order", 41: "Temporary failure", 42: "Switching equipment congestion",
        43: "Access information discarded", 44: "Requested channel not available", 50: "Facility not subscribed",
        52: "Outgoing call barred", 54: "Incoming call barred", 57: "Bearer capability not authorized",
        58: "Bearer capability not available", 65: "Bearer capability not implemented", 66: "Channel not implemented",
        69: "Facility not implemented", 81: "Invalid call reference value", 88: "Incompatible destination",
        95: "Invalid message unspecified", 96: "Mandatory information element is missing", 97: "Message type nonexist.",
        98: "Wrong message", 99: "Info. element nonexist or not implemented", 100: "Invalid information element contents",
        101: "Message not compatible with call state", 102: "Recover on timer expiry", 103: "Mandatory IE length error",
        111: "Protocol error, unspecified", 127: "Interworking, unspecified",
    ]

    /// `Cause-txt:` of the Hangup event (`ast_cause2str()`); `Unknown` for codes not in the table.
    public var text: String { Self.texts[rawValue] ?? "Unknown" }

    /// The cause for a final SIP failure status received on an outbound leg (RFC 3398 §7.2.4.1,
    /// as chan_pjsip's `hangup_sip2cause()` applies it).
    public init(sipStatus: Int) {
        switch sipStatus {
        case 401, 402, 403, 407: self = .callRejected
        case 404, 485, 604: self = .unallocated
        case 405: self = .interworking
        case 406, 488, 606: self = .bearerCapabilityNotAvailable
        case 408: self = .noUserResponse
        case 410: self = HangupCause(rawValue: 22)
        case 413, 414: self = .interworking
        case 415: self = .bearerCapabilityNotAvailable
        case 416: self = .interworking
        case 420: self = .interworking
        case 480: self = .noAnswer
        case 481: self = .interworking
        case 482, 483: self = .interworking
        case 484: self = .invalidNumberFormat
        case 486, 600: self = .userBusy
        case 487: self = .normalClearing
        case 500: self = .interworking
        case 501: self = .facilityNotImplemented
        case 502: self = .destinationOutOfOrder
        case 503: self = .congestion
        case 504: self = .recoveryOnTimerExpiry
        case 505: self = .interworking
        case 603: self = .callRejected
        default: self = sipStatus >= 400 ? .interworking : .normalClearing
        }
    }

    /// The SIP status to answer an inbound INVITE with when the call fails with this cause
    /// (RFC 3398 §8.2.6.1, as chan_pjsip's `hangup_cause2sip()`).
    public var sipStatus: Int {
        switch rawValue {
        case 1, 2, 3: return 404
        case 17: return 486
        case 18: return 408
        case 19, 20: return 480
        case 21: return 403
        case 22: return 410
        case 26: return 200
        case 27: return 502
        case 28: return 484
        case 29: return 501
        case 31: return 480
        case 34, 38, 41, 42, 44: return 503
        case 58, 65, 88: return 488
        case 69: return 501
        case 102: return 504
        default: return 500
        }
    }

    /// `DIALSTATUS` for a dial attempt that ended with this cause (`ast_hangup_cause_to_dial_status()`).
    public var dialStatus: String {
        switch rawValue {
        case 17: return "BUSY"
        case 34: return "CONGESTION"
        case 3, 20: return "CHANUNAVAIL"
        default: return "NOANSWER"
        }
    }
}
