/// An action name Centralino registers, with Asterisk's synopsis and permission classes.
public struct AMIActionDescriptor: Sendable {
    public let name: String
    public let synopsis: String
    /// Any one of these write classes lets a user run the action; empty means everyone.
    public let privilege: AMIPermissions

    public init(_ name: String, _ synopsis: String, _ privilege: AMIPermissions) {
        self.name = name
        self.synopsis = synopsis
        self.privilege = privilege
    }

    /// Asterisk's rule (`process_message()`): no classes, or any one of them in the write set.
    public func isPermitted(for writePermissions: AMIPermissions) -> Bool {
        privilege.isEmpty || !privilege.isDisjoint(with: writePermissions)
    }

    /// The ListCommands line value: `<synopsis>  (Priv: <classes>)`.
    public var listCommandsValue: String {
        "\(synopsis)  (Priv: \(privilege.authorityString))"
    }
}

/// Every action Centralino registers, with the synopsis and classes Asterisk 20 registers it with
/// (`main/manager.c`, `res/res_pjsip/…`). Registration does not mean it is built: the server answers
/// an action it does not run yet with a clear error.
public struct AMIActionCatalog: Sendable {
    public let actions: [AMIActionDescriptor]
    private let byLowercasedName: [String: AMIActionDescriptor]

    public init(_ actions: [AMIActionDescriptor]) {
        self.actions = actions.sorted { $0.name.lowercased() < $1.name.lowercased() }
        self.byLowercasedName = Dictionary(uniqueKeysWithValues: actions.map { ($0.name.lowercased(), $0) })
    }

    /// Finds an action by name, case-insensitively (`action_find()` uses `strcasecmp`).
    public func descriptor(named name: String) -> AMIActionDescriptor? {
        byLowercasedName[name.lowercased()]
    }

    /// Actions the user may run, in ListCommands order (case-insensitive by name).
    public func permitted(for writePermissions: AMIPermissions) -> [AMIActionDescriptor] {
        actions.filter { $0.isPermitted(for: writePermissions) }
    }

    public static let standard = AMIActionCatalog([
        .init("AbsoluteTimeout", "Set absolute timeout.", [.system, .call]),
        .init("Atxfer", "Attended transfer.", .call),
        .init("BlindTransfer", "Blind transfer channel(s) to the given destination", .call),
        .init("Bridge", "Bridge two channels already in the PBX.", .call),
        .init("BridgeDestroy", "Destroy a bridge.", .none),
        .init("BridgeInfo", "Get information about a bridge.", .none),
        .init("BridgeKick", "Kick a channel from a bridge.", .none),
        .init("BridgeList", "Get a list of bridges in the system.", .none),
        .init("BridgeTechnologyList", "List available bridging technologies and their statuses.", .none),
        .init("BridgeTechnologySuspend", "Suspend a bridging technology.", .none),
        .init("BridgeTechnologyUnsuspend", "Unsuspend a bridging technology.", .none),
        .init("CancelAtxfer", "Cancel an attended transfer.", .call),
        .init("Challenge", "Generate Challenge for MD5 Auth.", .none),
        .init("Command", "Execute Asterisk CLI Command.", .command),
        .init("ControlPlayback", "Control the playback of a file being played to a channel.", .call),
        .init("CoreSettings", "Show PBX core settings (version etc).", [.system, .reporting]),
        .init("CoreShowChannelMap", "List all channels connected to the specified channel.", [.system, .reporting]),
        .init("CoreShowChannels", "List currently active channels.", [.system, .reporting]),
        .init("CoreStatus", "Show PBX core status variables.", [.system, .reporting]),
        .init("DeviceStateList", "List the current known device states.", [.call, .reporting]),
        .init("Events", "Control Event Flow.", .none),
        .init("ExtensionState", "Check Extension Status.", [.call, .reporting]),
        .init("ExtensionStateList", "List the current known extension states.", [.call, .reporting]),
        .init("FAXSession", "Responds with a detailed description of a single FAX session", .call),
        .init("FAXSessions", "Lists active FAX sessions", .call),
        .init("Filter", "Dynamically add filters for the current manager session.", .system),
        .init("Getvar", "Gets a channel variable or function value.", [.call, .reporting]),
        .init("Hangup", "Hangup channel.", [.system, .call]),
        .init("ListCommands", "List available manager commands.", .none),
        .init("LocalOptimizeAway", "Optimize away a local channel when possible.", [.system, .call]),
        .init("Login", "Login Manager.", .none),
        .init("Logoff", "Logoff Manager.", .none),
        .init("MailboxCount", "Check Mailbox Message Count.", [.call, .reporting]),
        .init("MailboxStatus", "Check mailbox.", [.call, .reporting]),
        .init("MixMonitorMute", "Mute / unMute a Mixmonitor recording.", [.system, .call]),
        .init("Originate", "Originate a call.", .originate),
        .init("Ping", "Keepalive command.", .none),
        .init("PJSIPShowAors", "Lists PJSIP AORs.", .system),
        .init("PJSIPShowContacts", "Lists PJSIP Contacts.", .system),
        .init("PJSIPShowEndpoint", "Detail listing of an endpoint and its objects.", .system),
        .init("PJSIPShowEndpoints", "Lists PJSIP endpoints.", .system),
        .init("PlayDTMF", "Play DTMF signal on a specific channel.", .call),
        .init("PlayMF", "Play MF digit on a specific channel.", .call),
        .init("PresenceState", "Check Presence State", [.call, .reporting]),
        .init("PresenceStateList", "List the current known presence states.", [.call, .reporting]),
        .init("Redirect", "Redirect (transfer) a call.", .call),
        .init("Reload", "Send a reload event.", [.system, .config]),
        .init("SendFlash", "Send a hook flash on a specific channel.", .call),
        .init(
            "SendText",
            "Sends a text message to channel. A content type\tcan be optionally specified. If not set it is set to an empty string allowing a custom handler to default it as it sees fit.",
            .call),
        .init("Setvar", "Sets a channel variable or function value.", .call),
        .init("Status", "List channel status.", [.system, .call, .reporting]),
        .init("StopMixMonitor", "Stop recording a call through MixMonitor, and free the recording's file handle.", [.system, .call]),
        .init("UserEvent", "Send an arbitrary event.", .user),
        .init("WaitEvent", "Wait for an event to occur.", .none),
    ])
}
