import PBX
import SIP
import SIPServer

/// What the SIP call driver tells the call engine about its legs (on the call event loop).
protocol SIPCallDriverDelegate: AnyObject {
    /// An authenticated extension sent an INVITE for `dialed`.
    func incomingCall(_ leg: SIPCallLeg, caller: DirectoryExtension, dialed: String, offer: SDPSession?)
    /// 180 (ringing) or 183 (progress, maybe with early media) on an outbound leg.
    func legProgress(_ leg: SIPCallLeg, ringing: Bool, earlyMedia: SDPSession?)
    /// 2xx on an outbound leg (ACK already sent).
    func legAnswered(_ leg: SIPCallLeg, answer: SDPSession?)
    /// A final failure on an outbound leg.
    func legFailed(_ leg: SIPCallLeg, status: Int)
    /// The far end re-INVITEd an established leg (hold, resume, refresh) with this audio direction.
    /// Return true to answer later with `answerReInvite`, false to have it answered at once.
    func legReInvited(_ leg: SIPCallLeg, direction: SDPDirection) -> Bool
    /// The far end ended an established or early dialog (BYE, CANCEL) or it timed out.
    func legEnded(_ leg: SIPCallLeg, cause: HangupCause)
}
