/// One application run by the dialplan, with its data already substituted.
public struct DialplanApplicationCall: Sendable, Hashable {
    /// Canonical name (`Dial`, even when the dialplan says `dial`).
    public var application: String
    /// The substituted data (`PJSIP/100,30`), what Newexten reports as `AppData`.
    public var data: String
    /// Where it runs; the channel's Context/Exten/Priority must be set to this before Newexten.
    public var location: DialplanLocation

    public init(application: String, data: String, location: DialplanLocation) {
        self.application = application
        self.data = data
        self.location = location
    }

    /// The fields `Newexten` adds after the channel block: `Extension` (a deprecated duplicate of
    /// `Exten`, still sent), `Application` and `AppData`.
    public var newextenFields: [(name: String, value: String)] {
        [("Extension", location.exten), ("Application", application), ("AppData", data)]
    }

    /// `Set` split at its first `=`; nil for other applications or a Set without `=`.
    public var setAssignment: SetAssignment? {
        application == "Set" ? SetAssignment(data) : nil
    }

    /// `Dial` arguments; nil for other applications.
    public var dialArguments: DialArguments? {
        application == "Dial" ? DialArguments(data) : nil
    }

    /// The data split as `AST_STANDARD_APP_ARGS` would split it.
    public var arguments: [String] { ApplicationArguments.split(data) }
}
