import Foundation
import NIOCore
import PBX
import SIP

/// Outbound legs (we are UAC): INVITE with our offer, provisional and final responses, ACK,
/// CANCEL, digest answers to a challenging trunk.
extension SIPCallDriver {
    struct OutboundRequest {
        var tenant: UUID
        /// Request-URI: the registered contact, or `sip:<number>@<trunk host>:<port>`.
        var target: SIPURI
        var destination: SIPEndpoint
        var caller: CallerID
        /// Domain for From/To (the tenant's SIP domain or the trunk host).
        var domain: String
        var toUser: String
        var offer: SDPSession
        var credentials: (username: String, password: String)?
    }

    func startOutbound(_ request: OutboundRequest) -> SIPCallLeg {
        let callID = "\(SIPCore.newTag())\(SIPCore.newTag())@centralino"
        let display = request.caller.name.isEmpty ? "" : "\"\(request.caller.name.replacingOccurrences(of: "\"", with: ""))\" "
        let number = request.caller.number.isEmpty ? "anonymous" : request.caller.number
        let localParty = "\(display)<sip:\(number)@\(request.domain)>"
        let remoteParty = "<sip:\(request.toUser)@\(request.domain)>"
        var headers = SIPHeaders()
        headers.add(.via, via(toward: request.destination))
        headers.add(.maxForwards, "70")
        let localTag = SIPCore.newTag()
        headers.add(.from, "\(localParty);tag=\(localTag)")
        headers.add(.to, remoteParty)
        headers.add(.callID, callID)
        headers.add(.cseq, "1 INVITE")
        headers.add(.contact, contact(toward: request.destination))
        headers.add(.allow, SIPCore.allowedMethods)
        headers.add(.userAgent, SIPCore.serverName)
        headers.add(.contentType, "application/sdp")
        let invite = SIPRequest(method: .invite, uri: request.target, headers: headers, body: request.offer.body)
        let leg = SIPCallLeg(id: nextID(), direction: .outbound, tenant: request.tenant, destination: request.destination,
                             callID: callID, localTag: localTag, localParty: localParty, remoteParty: remoteParty,
                             remoteTarget: request.target, invite: invite)
        leg.localSDP = request.offer
        leg.trunkCredentials = request.credentials
        register(leg)
        sendInvite(leg)
        return leg
    }

    private func sendInvite(_ leg: SIPCallLeg) {
        send(.request(leg.invite), to: leg.destination)
        leg.retransmitStarted = .now()
        leg.retransmitInterval = SIPCore.t1
        scheduleInviteRetransmission(leg)
    }

    /// Timer A (UDP only) until a provisional arrives; Timer B ends the attempt with 408.
    private func scheduleInviteRetransmission(_ leg: SIPCallLeg) {
        let delay = leg.destination.transport == .udp ? leg.retransmitInterval : SIPCore.timerF
        leg.retransmission = loop.scheduleConfined(in: delay, leg) { [unowned self] leg in
            guard leg.state == .early, !leg.gotProvisional else { return }
            if NIODeadline.now() - leg.retransmitStarted >= SIPCore.timerF {
                let cancelled = leg.cancelPending
                self.finish(leg)
                if !cancelled { self.delegate?.legFailed(leg, status: 408) }
                return
            }
            self.send(.request(leg.invite), to: leg.destination)
            leg.retransmitInterval = leg.retransmitInterval * 2
            self.scheduleInviteRetransmission(leg)
        }
    }

    func handleResponse(_ response: SIPResponse) {
        guard let callID = response.headers.callID, let leg = legs[callID], let cseq = response.headers.cseq else { return }
        if handleReInviteResponse(response, leg: leg, cseq: cseq) { return }
        guard leg.direction == .outbound, cseq.method == .invite else { return }
        let status = response.statusCode
        if let tag = response.headers.to?.tag, status > 100 { leg.remoteTag = tag }
        switch status {
        case 100..<200:
            leg.gotProvisional = true
            leg.cancelRetransmission()
            if leg.cancelPending {
                sendCancel(leg)
            } else if status == 180 || status == 183, leg.state == .early {
                delegate?.legProgress(leg, ringing: status == 180, earlyMedia: SDPSession(body: response.body))
            }
        case 200..<300:
            leg.cancelRetransmission()
            if let contact = response.headers.contacts?.first { leg.remoteTarget = contact.uri }
            sendAck(leg, cseq: cseq.number)
            if leg.state == .answered { return }
            if leg.cancelPending || leg.state == .ending {
                leg.state = .answered
                bye(leg)
                finish(leg)
                return
            }
            leg.state = .answered
            leg.remoteSDP = SDPSession(body: response.body)
            delegate?.legAnswered(leg, answer: leg.remoteSDP)
        default:
            leg.cancelRetransmission()
            send(.request(SIPRequest.ack(for: leg.invite, response: response)), to: leg.destination)
            if (status == 401 || status == 407), leg.state == .early, !leg.cancelPending, !leg.authenticated,
               let credentials = leg.trunkCredentials, retryWithCredentials(leg, response: response, credentials: credentials) {
                return
            }
            let wasCancelled = leg.cancelPending || leg.state == .ending
            finish(leg)
            if !wasCancelled { delegate?.legFailed(leg, status: status) }
        }
    }

    private func sendAck(_ leg: SIPCallLeg, cseq: UInt32) {
        var ack = leg.request(.ack, via: via(toward: leg.destination))
        leg.localCSeq -= 1
        ack.headers.replaceOrAdd(.cseq, "\(cseq) ACK")
        send(.request(ack), to: leg.destination)
    }

    /// Answers a trunk's 401/407 once, with a new INVITE carrying the credentials.
    private func retryWithCredentials(_ leg: SIPCallLeg, response: SIPResponse, credentials: (username: String, password: String)) -> Bool {
        let proxy = response.statusCode == 407
        guard let header = response.headers.all(proxy ? .proxyAuthenticate : .wwwAuthenticate).compactMap(DigestChallenge.init).first else {
            return false
        }
        let ha1 = Digest.ha1(username: credentials.username, realm: header.realm, password: credentials.password, algorithm: header.algorithm)
        let answer = Digest.credentials(answering: header, username: credentials.username, ha1: ha1, method: .invite,
                                        uri: leg.invite.uri.description, cnonce: SIPCore.newTag())
        var invite = leg.invite
        leg.localCSeq += 1
        invite.headers.replaceOrAdd(.cseq, "\(leg.localCSeq) INVITE")
        invite.headers.replaceOrAdd(.via, via(toward: leg.destination))
        invite.headers.add(proxy ? .proxyAuthorization : .authorization, answer.description)
        leg.invite = invite
        leg.authenticated = true
        leg.gotProvisional = false
        sendInvite(leg)
        return true
    }

    /// CANCEL an early outbound leg (sent once a provisional response has arrived).
    func cancel(_ leg: SIPCallLeg) {
        guard leg.direction == .outbound, leg.state == .early else { return }
        leg.cancelPending = true
        if leg.gotProvisional { sendCancel(leg) }
    }

    private func sendCancel(_ leg: SIPCallLeg) {
        var headers = SIPHeaders()
        if let via = leg.invite.headers.topVia { headers.add(.via, via.description) }
        headers.add(.maxForwards, "70")
        headers.add(.from, leg.invite.headers[.from] ?? "")
        headers.add(.to, leg.invite.headers[.to] ?? "")
        headers.add(.callID, leg.callID)
        headers.add(.cseq, "\(leg.invite.headers.cseq?.number ?? 1) CANCEL")
        send(.request(SIPRequest(method: .cancel, uri: leg.invite.uri, headers: headers)), to: leg.destination)
        leg.state = .ending
    }
}
