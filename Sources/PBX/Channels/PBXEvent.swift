import Foundation

/// An event the call engine raises, before it becomes an AMI event: its name, the permission
/// classes a reader needs (Asterisk's names, e.g. `call`, `dialplan`), its fields, and its tenant.
public struct PBXEvent: Sendable {
    public var name: String
    public var classes: [String]
    public var fields: [(String, String)]
    public var tenant: UUID

    public init(_ name: String, classes: [String] = ["call"], fields: [(String, String)], tenant: UUID) {
        self.name = name
        self.classes = classes
        self.fields = fields
        self.tenant = tenant
    }

    /// An event about `channel`: its block, then `extra` fields (Newstate, Hangup, …).
    public static func channel(_ name: String, _ channel: Channel, classes: [String] = ["call"], extra: [(String, String)] = []) -> PBXEvent {
        PBXEvent(name, classes: classes, fields: channel.eventFields() + extra, tenant: channel.tenant)
    }

    /// `Hangup` with `Cause` and `Cause-txt`.
    public static func hangup(_ channel: Channel, cause: HangupCause) -> PBXEvent {
        .channel("Hangup", channel, extra: [("Cause", String(cause.rawValue)), ("Cause-txt", cause.text)])
    }

    /// `VarSet` (class dialplan).
    public static func varSet(_ channel: Channel, name: String, value: String) -> PBXEvent {
        .channel("VarSet", channel, classes: ["dialplan"], extra: [("Variable", name), ("Value", Channel.cEscaped(value))])
    }
}
