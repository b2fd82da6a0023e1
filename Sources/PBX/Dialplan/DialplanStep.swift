/// What `DialplanExecution.next(variables:)` asks the channel engine to do.
public enum DialplanStep: Sendable, Hashable {
    /// Raise Newexten, run the application, then call `next` again (unless it ended the call).
    /// Answer, Dial, Set, Wait, Hangup, Busy, Congestion, Ringing, Progress, NoOp, ...
    case application(DialplanApplicationCall)
    /// The interpreter ran this application itself (Goto, GotoIf): raise Newexten and call `next` again.
    case handled(DialplanApplicationCall)
    /// The extension did not exist and the context has an `i` extension: the channel now runs `i`.
    /// Set `INVALID_EXTEN` to `invalid.exten` on the channel, then call `next` again.
    case invalidExtension(invalid: DialplanLocation)
    /// The dialplan is done with this channel: hang it up.
    case hangup(DialplanHangupReason)
}
