/// Why the dialplan stopped.
public enum DialplanHangupReason: Sendable, Hashable {
    /// The extension exists but has no further priority: Asterisk's auto-fallthrough. The engine
    /// hangs up as Asterisk does (busy / congestion according to `DIALSTATUS`, else normal clearing).
    case endOfExtension(DialplanLocation)
    /// No such extension (nor an `i` to go to), or no such context.
    case invalidExtension(DialplanLocation)
    /// An application the engine does not provide (Asterisk: "No application ... for extension").
    case unknownApplication(String, DialplanLocation)
    /// A Goto/GotoIf whose target could not be resolved (missing argument or unknown label).
    case gotoFailed(String, DialplanLocation)
    /// Too many Goto/GotoIf in a row without any other application: a dialplan loop.
    case loopDetected(DialplanLocation)
}
