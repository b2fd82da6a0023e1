/// A channel's state as Asterisk numbers and names it (`include/asterisk/channelstate.h`, `ast_state2str()`).
public enum ChannelState: Int, Sendable, Hashable, CaseIterable {
    case down = 0
    case reserved = 1
    case offHook = 2
    case dialing = 3
    case ring = 4
    case ringing = 5
    case up = 6
    case busy = 7
    case dialingOffHook = 8
    case preRing = 9

    /// `ChannelStateDesc:` of AMI events.
    public var description: String {
        switch self {
        case .down: return "Down"
        case .reserved: return "Rsrvd"
        case .offHook: return "OffHook"
        case .dialing: return "Dialing"
        case .ring: return "Ring"
        case .ringing: return "Ringing"
        case .up: return "Up"
        case .busy: return "Busy"
        case .dialingOffHook: return "Dialing Offhook"
        case .preRing: return "Pre-ring"
        }
    }
}
