import Foundation
import PBX
import SIP
import SIPServer

/// RFC 4028 session timers on the INVITEs we send (click-to-call legs to the agent's phone and to
/// the trunk, internal calls to a registered phone). Our initial INVITE offers `Supported: timer`,
/// `Session-Expires: <--sip-session-expires>` and `Min-SE: <--sip-min-se>` (§7.1). A 422 with a
/// larger `Min-SE` is answered once with a new INVITE asking for that interval (§7.3). A 2xx with
/// `Session-Expires` starts the same timer as for calls we answer: `refresher=uac` (or none, §7.2)
/// makes us the refresher, `refresher=uas` the peer; a 2xx without it means no session timer.
extension SIPCallDriver {
    /// The session timer headers of an initial INVITE we send (none when timers are off).
    func addSessionTimerRequest(_ headers: inout SIPHeaders, interval: UInt32) {
        guard sessionPolicy.enabled else { return }
        headers.add(.supported, "timer")
        headers.add(.sessionExpires, "\(interval)")
        headers.add(SessionTimerPolicy.minSEHeader, "\(sessionPolicy.minimumSE)")
    }

    /// A 422 (Session Interval Too Small) to our INVITE: retried once with `Session-Expires` and
    /// `Min-SE` raised to the response's `Min-SE`, CSeq + 1, same Call-ID and From tag (§7.3).
    /// False when it is not retried (no or bad `Min-SE`, not larger, already retried, cancelled).
    func retryWithLargerSessionInterval(_ leg: SIPCallLeg, response: SIPResponse) -> Bool {
        guard sessionPolicy.enabled, leg.state.isEarly, !leg.sessionRetried,
            let value = response.headers[SessionTimerPolicy.minSEHeader],
            let minimum = SessionExpires.deltaSeconds(value), minimum > 0
        else { return false }
        let asked = leg.invite.headers[.sessionExpires].flatMap { SessionExpires($0) }?.seconds ?? 0
        guard minimum > asked else { return false }
        logger.info(
            "SIP 422 to our INVITE: retrying with the peer's Min-SE (RFC 4028 §7.3)",
            metadata: ["call-id": "\(leg.callID)", "min-se": "\(minimum)"])
        var invite = leg.invite
        leg.localCSeq += 1
        invite.headers.replaceOrAdd(.cseq, "\(leg.localCSeq) INVITE")
        invite.headers.replaceOrAdd(.via, via(toward: leg.destination))
        invite.headers.replaceOrAdd(.sessionExpires, "\(minimum)")
        invite.headers.replaceOrAdd(SessionTimerPolicy.minSEHeader, "\(minimum)")
        leg.invite = invite
        leg.sessionRetried = true
        leg.state = .early
        leg.remoteTag = nil
        sendInvite(leg)
        return true
    }

    /// Our INVITE was answered 2xx: a valid `Session-Expires` in it starts the session timer. An
    /// interval below the `Min-SE` we sent breaks RFC 4028 §9 and would have us refresh as often as the
    /// peer likes: it is raised to our `Min-SE`.
    func outboundSessionAnswered(_ leg: SIPCallLeg, response: SIPResponse) {
        guard sessionPolicy.enabled, leg.state == .answered, let value = response.headers[.sessionExpires],
            var granted = SessionExpires(value), granted.seconds > 0
        else { return }
        granted.seconds = max(granted.seconds, sessionPolicy.minimumSE)
        leg.sessionExpires = granted
        restartSessionTimer(leg, interval: granted.seconds, refresher: granted.refresher != .uas)
    }
}
