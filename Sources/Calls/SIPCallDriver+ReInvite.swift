import Foundation
import NIOCore
import NodeSupport
import PBX
import SIP
import SIPServer

/// In-dialog re-INVITEs: hold and resume are passed across the call (the other leg is re-INVITEd
/// with the matching direction), a re-INVITE arriving while ours is pending gets 491 (glare).
extension SIPCallDriver {
    /// A re-INVITE we sent and are waiting for.
    struct PendingReInvite {
        var request: SIPRequest
        var completion: (Bool) -> Void
    }

    /// A new re-INVITE in an established dialog (its retransmissions are absorbed by its server
    /// transaction before reaching here). One arriving while ours is pending gets 491 (§14.2).
    func reInvite(_ request: SIPRequest, leg: SIPCallLeg, from source: SIPEndpoint) {
        if leg.pendingReInvite != nil || leg.incomingReInvite != nil {
            reply(request, 491, reason: "Request Pending", to: source)
            return
        }
        guard acceptSessionTimer(request, leg: leg, from: source) else { return }
        let offer = SDPSession(body: request.body)
        let previous = leg.remoteSDP
        if let offer { leg.remoteSDP = offer }
        let direction = offer?.media.first(where: { $0.media == "audio" })?.direction ?? .sendrecv
        leg.incomingReInvite = request
        // The same media again (a session refresh, RFC 4028 §7.4): answered here, not passed across.
        if let offer, let previous, Self.sameMedia(offer, previous) {
            answerReInvite(leg, direction: direction)
            return
        }
        if let delegate, delegate.legReInvited(leg, direction: direction) { return }
        answerReInvite(leg, direction: direction)
    }

    /// Answers the pending incoming re-INVITE with our SDP in the direction that answers `direction`;
    /// the 200 is retransmitted until its ACK (a call whose peer never ACKs ends with BYE).
    func answerReInvite(_ leg: SIPCallLeg, direction: SDPDirection) {
        guard let request = leg.incomingReInvite else { return }
        leg.incomingReInvite = nil
        guard leg.state == .answered else {
            reply(request, 481, to: leg.destination)
            return
        }
        var response = core.reply(request, 200)
        if let sdp = leg.localSDP {
            response.headers.add(.contact, contact(toward: leg.destination))
            response.headers.add(.contentType, "application/sdp")
            response.body = Self.withDirection(sdp, direction.answer, version: leg.nextSDPVersion()).body
        }
        addSessionTimerHeaders(&response, leg: leg)
        transactions.respond(
            to: request, with: response, destination: leg.destination,
            noAck: { [weak self, weak leg] in
                guard let self, let leg else { return }
                self.noAck(leg)
            })
        sessionAnswered(leg)
    }

    /// Re-INVITEs `leg` with our SDP set to `direction` in an INVITE client transaction;
    /// `completion(true)` on 2xx. A 491 (glare) is retried once after the random wait of
    /// RFC 3261 §14.1 (2.1–4 s when we chose the Call-ID, else 0–2 s).
    func sendReInvite(
        _ leg: SIPCallLeg, direction: SDPDirection, retry: Bool = true,
        extraHeaders: [(SIPHeaderName, String)] = [], completion: @escaping (Bool) -> Void
    ) {
        guard leg.state == .answered, leg.pendingReInvite == nil, let sdp = leg.localSDP else {
            completion(false)
            return
        }
        var request = leg.request(.invite, via: via(toward: leg.destination))
        request.headers.add(.contact, contact(toward: leg.destination))
        request.headers.add(.contentType, "application/sdp")
        for (name, value) in extraHeaders { request.headers.add(name, value) }
        request.body = Self.withDirection(sdp, direction, version: leg.nextSDPVersion()).body
        leg.pendingReInvite = PendingReInvite(request: request, completion: completion)
        let number = request.headers.cseq?.number
        transactions.sendRequest(
            request, to: leg.destination,
            response: { [weak self, weak leg] response in
                guard let self, let leg else { return }
                self.reInviteResponse(response, leg: leg, direction: direction, retry: retry, extraHeaders: extraHeaders)
            },
            failed: { [weak leg] _ in
                guard let leg, let pending = leg.pendingReInvite, pending.request.headers.cseq?.number == number else { return }
                leg.pendingReInvite = nil
                pending.completion(false)
            })
    }

    /// A response to our re-INVITE: every 2xx (retransmissions too) is ACKed (§13.2.2.4); the
    /// machine ACKs failures itself.
    private func reInviteResponse(
        _ response: SIPResponse, leg: SIPCallLeg, direction: SDPDirection, retry: Bool,
        extraHeaders: [(SIPHeaderName, String)]
    ) {
        guard response.statusCode >= 200, let cseq = response.headers.cseq else { return }
        if response.isSuccess {
            var ack = leg.request(.ack, via: via(toward: leg.destination))
            leg.localCSeq -= 1
            ack.headers.replaceOrAdd(.cseq, "\(cseq.number) ACK")
            send(.request(ack), to: leg.destination)
        }
        guard let pending = leg.pendingReInvite, pending.request.headers.cseq?.number == cseq.number else { return }
        leg.pendingReInvite = nil
        if response.statusCode == 491, retry {
            let wait = leg.direction == .outbound ? Int64.random(in: 2_100...4_000) : Int64.random(in: 0...2_000)
            timerQueue.schedule(in: .milliseconds(wait), leg) { [weak self] leg in
                self?.sendReInvite(leg, direction: direction, retry: false, extraHeaders: extraHeaders, completion: pending.completion)
            }
            return
        }
        pending.completion(response.isSuccess)
    }

    /// Whether two offers of a peer describe the same audio stream: address, port, formats, direction.
    static func sameMedia(_ offer: SDPSession, _ previous: SDPSession) -> Bool {
        func audio(_ sdp: SDPSession) -> (String?, Int, [String], SDPDirection)? {
            guard let media = sdp.media.first(where: { $0.media == "audio" }) else { return nil }
            return ((media.connection ?? sdp.connection)?.address, media.port, media.formats, media.direction)
        }
        guard let new = audio(offer), let old = audio(previous) else { return false }
        return new.0 == old.0 && new.1 == old.1 && new.2 == old.2 && new.3 == old.3
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
