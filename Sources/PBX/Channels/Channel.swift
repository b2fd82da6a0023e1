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
        // Most events have no prefix: their field names are the literals, not new strings.
        guard !prefix.isEmpty else {
            return [
                ("Channel", name),
                ("ChannelState", String(state.rawValue)),
                ("ChannelStateDesc", state.description),
                ("CallerIDNum", unknownIfEmpty(callerID.number)),
                ("CallerIDName", unknownIfEmpty(Self.cEscaped(callerID.name))),
                ("ConnectedLineNum", unknownIfEmpty(connectedLine.number)),
                ("ConnectedLineName", unknownIfEmpty(Self.cEscaped(connectedLine.name))),
                ("Language", language),
                ("AccountCode", accountCode),
                ("Context", context),
                ("Exten", exten),
                ("Priority", String(priority)),
                ("Uniqueid", uniqueID),
                ("Linkedid", linkedID),
            ]
        }
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

    /// C-escapes a value as `ast_escape_c_alloc()` does for names in events: byte by byte, as Asterisk
    /// (the escaped characters are ASCII, never part of a longer UTF-8 sequence). A value with nothing
    /// to escape, nearly every one, is returned as is.
    public static func cEscaped(_ text: String) -> String {
        func escape(_ byte: UInt8) -> UInt8? {
            switch byte {
            case UInt8(ascii: "\n"): UInt8(ascii: "n")
            case UInt8(ascii: "\r"): UInt8(ascii: "r")
            case UInt8(ascii: "\t"): UInt8(ascii: "t")
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "'"): byte
            default: nil
            }
        }
        guard text.utf8.contains(where: { escape($0) != nil }) else { return text }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count + 8)
        for byte in text.utf8 {
            if let escaped = escape(byte) {
                bytes.append(UInt8(ascii: "\\"))
                bytes.append(escaped)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
