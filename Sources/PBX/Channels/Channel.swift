import Foundation

/// A call leg as the engine and AMI see it: Asterisk's channel snapshot.
public struct Channel: Sendable, Hashable {
    /// `PJSIP/100-0000000a`, `Local/100@c2c-00000000;1`.
    public let name: String
    public let uniqueID: String
    /// The uniqueid of the first channel of the call; every leg of a call shares it.
    public var linkedID: String
    /// The tenant this channel belongs to: its events go only to that tenant's AMI sessions.
    public let tenant: UUID
    public var state: ChannelState
    public var callerID: CallerID
    public var connectedLine: CallerID
    public var accountCode: String
    public var language: String
    public var context: String
    public var exten: String
    public var priority: Int
    public var variables: ChannelVariables

    public init(
        name: String, uniqueID: String, linkedID: String? = nil, tenant: UUID, state: ChannelState = .down,
        callerID: CallerID = CallerID(), connectedLine: CallerID = CallerID(), accountCode: String = "",
        language: String = "en", context: String = "", exten: String = "", priority: Int = 1,
        variables: ChannelVariables = ChannelVariables()
    ) {
        self.name = name
        self.uniqueID = uniqueID
        self.linkedID = linkedID ?? uniqueID
        self.tenant = tenant
        self.state = state
        self.callerID = callerID
        self.connectedLine = connectedLine
        self.accountCode = accountCode
        self.language = language
        self.context = context
        self.exten = exten
        self.priority = priority
        self.variables = variables
    }

    /// The standard channel block of AMI events
    /// (`ast_manager_build_channel_state_string_prefix()`), each field name behind `prefix`.
    public func eventFields(prefix: String = "") -> [(String, String)] {
        func unknownIfEmpty(_ text: String) -> String { text.isEmpty ? "<unknown>" : text }
        return [
            ("\(prefix)Channel", name),
            ("\(prefix)ChannelState", String(state.rawValue)),
            ("\(prefix)ChannelStateDesc", state.description),
            ("\(prefix)CallerIDNum", unknownIfEmpty(callerID.number)),
            ("\(prefix)CallerIDName", unknownIfEmpty(Self.cEscaped(callerID.name))),
            ("\(prefix)ConnectedLineNum", unknownIfEmpty(connectedLine.number)),
            ("\(prefix)ConnectedLineName", unknownIfEmpty(Self.cEscaped(connectedLine.name))),
            ("\(prefix)Language", language),
            ("\(prefix)AccountCode", accountCode),
            ("\(prefix)Context", context),
            ("\(prefix)Exten", exten),
            ("\(prefix)Priority", String(priority)),
            ("\(prefix)Uniqueid", uniqueID),
            ("\(prefix)Linkedid", linkedID),
        ]
    }

    /// C-escapes a value as `ast_escape_c_alloc()` does for names in events.
    public static func cEscaped(_ text: String) -> String {
        var result = ""
        for character in text {
            switch character {
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "'": result += "\\'"
            default: result.append(character)
            }
        }
        return result
    }
}
