import Foundation
import NIOCore
import PBX
import SIP

/// In-dialog re-INVITEs: hold and resume are passed across the call (the other leg is re-INVITEd
/// with the matching direction), a re-INVITE arriving while ours is pending gets 491 (glare).
extension SIPCallDriver {
    /// A re-INVITE we sent and are waiting for.
    struct PendingReInvite {
        var request: SIPRequest
        var completion: (Bool) -> Void
    }

    func reInvite(_ request: SIPRequest, leg: SIPCallLeg, from source: SIPEndpoint) {
        if leg.pendingReInvite != nil || leg.incomingReInvite != nil {
            send(.response(core.reply(request, 491, reason: "Request Pending")), to: source)
            return
        }
        let offer = SDPSession(body: request.body)
        if let offer { leg.remoteSDP = offer }
        let direction = offer?.media.first(where: { $0.media == "audio" })?.direction ?? .sendrecv
        leg.incomingReInvite = request
        if let delegate, delegate.legReInvited(leg, direction: direction) { return }
        answerReInvite(leg, direction: direction)
    }

    /// Answers the pending incoming re-INVITE with our SDP in the direction that answers `direction`.
    func answerReInvite(_ leg: SIPCallLeg, direction: SDPDirection) {
        guard let request = leg.incomingReInvite else { return }
        leg.incomingReInvite = nil
        var response = core.reply(request, 200)
        if let sdp = leg.localSDP {
            response.headers.add(.contact, contact(toward: leg.destination))
            response.headers.add(.contentType, "application/sdp")
            response.body = Self.withDirection(sdp, direction.answer, version: leg.nextSDPVersion()).body
        }
        send(.response(response), to: leg.destination)
    }

    /// Re-INVITEs `leg` with our SDP set to `direction`; `completion(true)` on 2xx.
    func sendReInvite(_ leg: SIPCallLeg, direction: SDPDirection, completion: @escaping (Bool) -> Void) {
        guard leg.state == .answered, leg.pendingReInvite == nil, let sdp = leg.localSDP else {
            completion(false)
            return
        }
        var request = leg.request(.invite, via: via(toward: leg.destination))
        request.headers.add(.contact, contact(toward: leg.destination))
        request.headers.add(.contentType, "application/sdp")
        request.body = Self.withDirection(sdp, direction, version: leg.nextSDPVersion()).body
        leg.pendingReInvite = PendingReInvite(request: request, completion: completion)
        send(.request(request), to: leg.destination)
        scheduleReInviteRetransmission(leg, interval: SIPCore.t1, started: .now())
    }

    private func scheduleReInviteRetransmission(_ leg: SIPCallLeg, interval: TimeAmount, started: NIODeadline) {
        guard leg.destination.transport == .udp else { return }
        loop.scheduleConfined(in: interval, leg) { [unowned self] leg in
            guard let pending = leg.pendingReInvite else { return }
            if NIODeadline.now() - started >= SIPCore.timerF {
                leg.pendingReInvite = nil
                pending.completion(false)
                return
            }
            send(.request(pending.request), to: leg.destination)
            scheduleReInviteRetransmission(leg, interval: min(interval * 2, SIPCore.t2), started: started)
        }
    }

    /// A response to our re-INVITE; true when it was one.
    func handleReInviteResponse(_ response: SIPResponse, leg: SIPCallLeg, cseq: SIPCSeq) -> Bool {
        guard let pending = leg.pendingReInvite, cseq.method == .invite, cseq.number == pending.request.headers.cseq?.number else {
            return false
        }
        guard response.statusCode >= 200 else { return true }
        leg.pendingReInvite = nil
        if response.isSuccess {
            var ack = leg.request(.ack, via: via(toward: leg.destination))
            leg.localCSeq -= 1
            ack.headers.replaceOrAdd(.cseq, "\(cseq.number) ACK")
            send(.request(ack), to: leg.destination)
        } else {
            send(.request(SIPRequest.ack(for: pending.request, response: response)), to: leg.destination)
        }
        pending.completion(response.isSuccess)
        return true
    }

    /// `sdp` with its audio direction set and its origin version bumped (a changed session).
    static func withDirection(_ sdp: SDPSession, _ direction: SDPDirection, version: UInt64) -> SDPSession {
        var copy = sdp
        copy.origin.sessionVersion = version
        for index in copy.media.indices {
            copy.media[index].attributes.removeAll { attribute in SDPDirection.allCases.contains { $0.rawValue == attribute.name } }
            copy.media[index].attributes.append(SDPAttribute(direction.rawValue))
        }
        return copy
    }
}
