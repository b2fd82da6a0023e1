import Foundation
import NIOCore
import NodeSupport
import PBX
import SIP
import SIPServer

/// RFC 4028 session timers on calls. A (re-)INVITE or UPDATE asking for `Session-Expires` below
/// our `Min-SE` gets 422; otherwise our 2xx grants the interval with `Supported: timer`,
/// `Session-Expires` (refresher set) and, when the peer supports timers, `Require: timer`. As
/// refresher we send an UPDATE (a re-INVITE with the same SDP when the peer does not allow UPDATE)
/// at half the interval; as refreshee we expect one. A session left unrefreshed until
/// interval − min(32 s, interval/3) is ended with BYE and hung up as pjsip's timer does it (BYE
/// for a 408, cause 18 "No user responding"); the engine hangs up the other side.
extension SIPCallDriver {
    /// The cause of a call whose session expired: pjsip ends it as a 408 (Request Timeout), which
    /// `ast_sip_hangup_sip2cause()` maps to AST_CAUSE_NO_USER_RESPONSE.
    static let sessionExpiredCause = HangupCause(sipStatus: 408)

    var sessionPolicy: SessionTimerPolicy { core.configuration.sessionTimers }

    /// Applies the session timer request of an INVITE, re-INVITE or UPDATE we answer: false when
    /// it was refused (422 with `Min-SE`, or 400 for a malformed value) and must not go on.
    func acceptSessionTimer(_ request: SIPRequest, leg: SIPCallLeg?, from source: SIPEndpoint) -> Bool {
        switch sessionPolicy.answer(request) {
        case .none:
            return true
        case .malformed(let reason):
            reply(request, 400, reason: reason, to: source)
            return false
        case .tooSmall(let minimum):
            var response = core.reply(request, 422, reason: "Session Interval Too Small")
            response.headers.add(SessionTimerPolicy.minSEHeader, "\(minimum)")
            transactions.respond(to: request, with: response, destination: source)
            return false
        case .accept(let granted, let require):
            leg?.sessionExpires = granted
            leg?.sessionRequire = require
            return true
        }
    }

    /// Adds our session timer headers to a 2xx of `leg`'s dialog.
    func addSessionTimerHeaders(_ response: inout SIPResponse, leg: SIPCallLeg) {
        guard sessionPolicy.enabled else { return }
        response.headers.add(.supported, "timer")
        guard let granted = leg.sessionExpires else { return }
        response.headers.add(.sessionExpires, granted.description)
        if leg.sessionRequire { response.headers.add(.require, "timer") }
    }

    /// A session (re)established or refreshed by a 2xx we sent: (re)starts the timer. We refresh
    /// when the 2xx named us (`refresher=uas`).
    func sessionAnswered(_ leg: SIPCallLeg) {
        guard let granted = leg.sessionExpires, leg.state == .answered else { return }
        restartSessionTimer(leg, interval: granted.seconds, refresher: granted.refresher == .uas)
    }

    func stopSessionTimer(_ leg: SIPCallLeg) {
        leg.sessionTimerTask?.cancel()
        leg.sessionTimerTask = nil
        leg.sessionTimer = nil
    }

    private static func clock() -> Int64 {
        Int64(NIODeadline.now().uptimeNanoseconds / 1_000)
    }

    func restartSessionTimer(_ leg: SIPCallLeg, interval: UInt32, refresher: Bool) {
        let now = Self.clock()
        if leg.sessionTimer == nil {
            leg.sessionTimer = SessionTimer(interval: interval, refresher: refresher, now: now)
        } else {
            leg.sessionTimer?.refreshed(interval: interval, refresher: refresher, now: now)
        }
        scheduleSessionTimer(leg)
    }

    private func scheduleSessionTimer(_ leg: SIPCallLeg) {
        leg.sessionTimerTask?.cancel()
        leg.sessionTimerTask = nil
        guard let due = leg.sessionTimer?.due else { return }
        let wait = max(0, due - Self.clock())
        leg.sessionTimerTask = timerQueue.schedule(in: .microseconds(wait), leg) { [weak self] leg in
            self?.fireSessionTimer(leg)
        }
    }

    private func fireSessionTimer(_ leg: SIPCallLeg) {
        leg.sessionTimerTask = nil
        guard leg.state == .answered, let action = leg.sessionTimer?.fire(now: Self.clock()) else {
            if leg.state == .answered { scheduleSessionTimer(leg) }
            return
        }
        switch action {
        case .refresh:
            scheduleSessionTimer(leg)
            sendSessionRefresh(leg)
        case .expire:
            expireSession(leg)
        }
    }

    /// Ends a session nobody refreshed: BYE to its peer, the leg hung up with the expiry cause.
    private func expireSession(_ leg: SIPCallLeg) {
        guard leg.state == .answered else { return }
        logger.notice(
            "SIP session expired without refresh: ending the call (RFC 4028)",
            metadata: ["call-id": "\(leg.callID)", "interval": "\(leg.sessionTimer?.interval ?? 0)"])
        stopSessionTimer(leg)
        bye(leg)
        finish(leg)
        delegate?.legEnded(leg, cause: Self.sessionExpiredCause)
    }

    /// Our refresh as refresher: UPDATE without a body when the peer allows UPDATE (RFC 4028 §7.4
    /// and §9 prefer it), else a re-INVITE with the same SDP. A 2xx restarts the timer; 408 or 481
    /// (or no answer at all) ends the session at once (§10).
    private func sendSessionRefresh(_ leg: SIPCallLeg) {
        guard let interval = leg.sessionTimer?.interval else { return }
        let headers: [(SIPHeaderName, String)] = [
            (.sessionExpires, SessionExpires(seconds: interval, refresher: .uac).description),
            (SessionTimerPolicy.minSEHeader, "\(sessionPolicy.minimumSE)"),
            (.supported, "timer"),
        ]
        let peerAllows = leg.direction == .inbound ? leg.invite.headers.all(.allow) : leg.peerAllow
        if SessionTimerPolicy.listsTag("UPDATE", in: peerAllows) {
            var request = leg.request(.update, via: via(toward: leg.destination))
            request.headers.add(.contact, contact(toward: leg.destination))
            for (name, value) in headers { request.headers.add(name, value) }
            transactions.sendRequest(
                request, to: leg.destination,
                response: { [weak self, weak leg] response in
                    guard let self, let leg, response.statusCode >= 200 else { return }
                    self.refreshAnswered(leg, status: response.statusCode, sessionExpires: response.headers[.sessionExpires])
                },
                failed: { [weak self, weak leg] failure in
                    guard let self, let leg else { return }
                    self.refreshAnswered(leg, status: failure.status, sessionExpires: nil)
                })
            return
        }
        let direction = leg.localSDP?.media.first(where: { $0.media == "audio" })?.direction ?? .sendrecv
        sendReInvite(leg, direction: direction, extraHeaders: headers) { [weak self, weak leg] success in
            guard let self, let leg, success else { return }
            self.refreshAnswered(leg, status: 200, sessionExpires: nil)
        }
    }

    private func refreshAnswered(_ leg: SIPCallLeg, status: Int, sessionExpires: String?) {
        guard leg.state == .answered, let timer = leg.sessionTimer else { return }
        if (200..<300).contains(status) {
            let granted = sessionExpires.flatMap { SessionExpires($0) }
            restartSessionTimer(leg, interval: granted?.seconds ?? timer.interval, refresher: granted?.refresher != .uas)
        } else if status == 408 || status == 481 {
            expireSession(leg)
        }
    }

    /// An UPDATE in an established dialog: a session refresh (or an offer without media change,
    /// answered with our SDP). Early UPDATEs are answered 200 as before.
    func update(_ request: SIPRequest, leg: SIPCallLeg, from source: SIPEndpoint) {
        guard leg.state == .answered else {
            reply(request, 200, to: source)
            return
        }
        guard acceptSessionTimer(request, leg: leg, from: source) else { return }
        var response = core.reply(request, 200)
        response.headers.add(.contact, contact(toward: leg.destination))
        if request.body.readableBytes > 0, let sdp = leg.localSDP {
            response.headers.add(.contentType, "application/sdp")
            response.body = sdp.body
        }
        addSessionTimerHeaders(&response, leg: leg)
        transactions.respond(to: request, with: response, destination: source)
        sessionAnswered(leg)
    }
}

extension SessionTimerPolicy {
    /// Whether an option tag or method is listed in comma-separated header values.
    static func listsTag(_ tag: String, in values: [String]) -> Bool {
        values.contains { value in
            value.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces).caseInsensitiveCompare(tag) == .orderedSame }
        }
    }
}
