/// An `Action: Originate` checked as Asterisk's `action_originate()` checks it, in its order,
/// with its exact error texts.
public struct OriginateRequest: Sendable, Equatable {
    /// What the originated channel runs once answered.
    public enum Destination: Sendable, Equatable {
        case extensionTarget(context: String, exten: String, priority: Int)
        case application(name: String, data: String)
    }

    /// `Local/100@c2c` or `PJSIP/100`, as requested (options after a second `/` kept, e.g. `/n`).
    public var channel: String
    public var technology: String
    /// What follows `Tech/`.
    public var resource: String
    public var destination: Destination
    /// Ring timeout in milliseconds (default 30000).
    public var timeout: Int
    public var callerID: String?
    public var variables: [VariablePair]
    public var account: String?
    public var earlyMedia: Bool
    public var async: Bool
    public var codecs: String?
    public var channelID: String?
    public var otherChannelID: String?
    public var actionID: String

    public struct VariablePair: Sendable, Equatable {
        public var name: String
        public var value: String
    }

    /// A parameter problem, with the `Message:` Asterisk sends.
    public struct Rejection: Error, Sendable, Equatable {
        public let message: String
        public init(_ message: String) { self.message = message }
    }

    /// Applications whose name makes Originate need `system` (substring, case-insensitive; 20.9.2+).
    static let systemApplications = ["agi", "dbdeltree", "exec", "externalivr", "mixmonitor", "originate", "reload", "system"]
    /// Functions in Data that need `system` (substring, case-sensitive).
    static let systemDataFunctions = ["CURL", "DB", "EVAL", "FILE", "ODBC", "REALTIME", "SHELL"]

    /// Parses and validates; `resolveLabel` turns a priority label into a number (nil = unknown label).
    public static func parse(
        _ message: AMIMessage, writePermissions: AMIPermissions,
        resolveLabel: (_ context: String, _ exten: String, _ label: String) -> Int? = { _, _, _ in nil }
    )
        throws(Rejection) -> OriginateRequest
    {
        let channelID = message["ChannelId"].flatMap { $0.isEmpty ? nil : $0 }
        let otherChannelID = message["OtherChannelId"].flatMap { $0.isEmpty ? nil : $0 }
        if (channelID?.count ?? 0) > AMILimits.maximumUniqueidLength || (otherChannelID?.count ?? 0) > AMILimits.maximumUniqueidLength {
            throw Rejection("Uniqueid length exceeds maximum of \(AMILimits.maximumUniqueidLength)")
        }
        let channel = message.value("Channel")
        guard !channel.isEmpty else { throw Rejection("Channel not specified") }
        let context = message.value("Context")
        let exten = message.value("Exten")
        let priorityText = message.value("Priority").trimmingASCIIWhitespace()
        var priority = 0
        if !priorityText.isEmpty {
            // `sscanf("%30d")`: a C `int`; beyond it the text is a label (and unknown, so invalid).
            if let number = Int32(priorityText).map(Int.init) {
                priority = number
            } else if let resolved = resolveLabel(context, exten, priorityText) {
                priority = resolved
            } else {
                throw Rejection("Invalid priority")
            }
        }
        var timeout = 30000
        let timeoutText = message.value("Timeout").trimmingASCIIWhitespace()
        if !timeoutText.isEmpty {
            // `sscanf("%30d")` into a C `int` (milliseconds): a number beyond it is refused.
            guard let value = Int32(timeoutText).map(Int.init) else { throw Rejection("Invalid timeout") }
            timeout = value
        }
        guard let slash = channel.firstIndex(of: "/") else { throw Rejection("Invalid channel") }
        let application = message.value("Application")
        let data = message.value("Data")
        if !application.isEmpty {
            let lowered = application.lowercased()
            let risky = systemApplications.contains { lowered.contains($0) } || systemDataFunctions.contains { data.contains($0) }
            if risky, !writePermissions.contains(.system) {
                throw Rejection("Originate Access Forbidden: app or data blacklisted")
            }
        }
        let async = AMIBoolean.isTrue(message.value("Async"))
        if application.isEmpty, !exten.isEmpty, priorityText.isEmpty, !async {
            throw Rejection("Originate with 'Exten' requires 'Context' and 'Priority'")
        }
        let destination: Destination =
            application.isEmpty
            ? .extensionTarget(context: context, exten: exten, priority: max(priority, 1))
            : .application(name: application, data: data)
        let callerID = message["CallerID"].flatMap { $0.isEmpty ? nil : $0 }
        return OriginateRequest(
            channel: channel, technology: String(channel[..<slash]), resource: String(channel[channel.index(after: slash)...]),
            destination: destination, timeout: timeout, callerID: callerID,
            variables: AMIVariables.parse(message).map { VariablePair(name: $0.name, value: $0.value) },
            account: message["Account"].flatMap { $0.isEmpty ? nil : $0 },
            earlyMedia: AMIBoolean.isTrue(message.value("EarlyMedia")), async: async,
            codecs: message["Codecs"].flatMap { $0.isEmpty ? nil : $0 },
            channelID: channelID, otherChannelID: otherChannelID, actionID: message.actionID)
    }
}
