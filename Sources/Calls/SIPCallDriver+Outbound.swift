import Foundation
import NIOCore
import NodeSupport
import PBX
import SIP
import SIPServer

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
        /// Route entries (a registered contact's Path), top first; the INVITE goes to `destination`.
        var route: [String] = []
    }

    func startOutbound(_ request: OutboundRequest) -> SIPCallLeg {
        let callID = "\(SIPCore.newTag())\(CallShardMap.token(shard))@centralino"
        let display = request.caller.name.isEmpty ? "" : "\"\(request.caller.name.replacingOccurrences(of: "\"", with: ""))\" "
        let number = request.caller.number.isEmpty ? "anonymous" : request.caller.number
        let localParty = "\(display)<sip:\(number)@\(request.domain)>"
        let remoteParty = "<sip:\(request.toUser)@\(request.domain)>"
        var headers = SIPHeaders()
        headers.add(.via, via(toward: request.destination))
        headers.add(.maxForwards, "70")
        for hop in request.route { headers.add(.route, hop) }
        let localTag = CallShardMap.token(shard)
        headers.add(.from, "\(localParty);tag=\(localTag)")
        headers.add(.to, remoteParty)
        headers.add(.callID, callID)
        headers.add(.cseq, "1 INVITE")
        headers.add(.contact, contact(toward: request.destination))
        headers.add(.allow, SIPCore.allowedMethods)
        headers.add(.userAgent, SIPCore.serverName)
        addSessionTimerRequest(&headers, interval: sessionPolicy.sessionExpires)
        headers.add(.contentType, "application/sdp")
        let invite = SIPRequest(method: .invite, uri: request.target, headers: headers, body: request.offer.body)
        let leg = SIPCallLeg(
            id: nextID(), direction: .outbound, tenant: request.tenant, destination: request.destination,
            callID: callID, localTag: localTag, localParty: localParty, remoteParty: remoteParty,
            remoteTarget: request.target, invite: invite)
        leg.localSDP = request.offer
        leg.trunkCredentials = request.credentials
        register(leg)
        sendInvite(leg)
        return leg
    }

    /// The INVITE in its client transaction (Timer A/B); responses come to `inviteResponse`.
    func sendInvite(_ leg: SIPCallLeg) {
        let invite = leg.invite
        transactions.sendRequest(
            invite, to: leg.destination,
            response: { [weak self, weak leg] response in
                guard let self, let leg else { return }
                self.inviteResponse(response, leg: leg, invite: invite)
            },
            failed: { [weak self, weak leg] failure in
                guard let self, let leg, leg.invite.headers.cseq == invite.headers.cseq else { return }
                // Timer B (408) or a refused send (503), RFC 3261 §8.1.3.1.
                let cancelled = !leg.state.isEarly
                self.finish(leg)
                if !cancelled { self.delegate?.legFailed(leg, status: failure.status) }
            })
    }

    /// A response that matched no client transaction: a 2xx to an INVITE retransmitted after the
    /// transaction ended still gets its ACK (RFC 3261 §13.2.2.4).
    func handleResponse(_ response: SIPResponse) {
        if transactions.receiveResponse(response) { return }
        guard let callID = response.headers.callID, let leg = legs[callID], let cseq = response.headers.cseq,
            cseq.method == .invite, response.isSuccess, response.headers.from?.tag == leg.localTag,
            response.headers.to?.tag == leg.remoteTag
        else { return }
        sendAck(leg, cseq: cseq.number)
    }

    /// A response to the INVITE of an outbound leg (a 3xx–6xx was already ACKed by its transaction;
    /// every 2xx, first or retransmitted, is ACKed here).
    private func inviteResponse(_ response: SIPResponse, leg: SIPCallLeg, invite: SIPRequest) {
        guard leg.invite.headers.cseq == invite.headers.cseq else { return }
        let status = response.statusCode
        if let tag = response.headers.to?.tag, status > 100 { leg.remoteTag = tag }
        switch status {
        case 100..<200:
            switch leg.state {
            case .cancelOnProvisional:
                leg.state = .proceeding
                sendCancel(leg)
            case .early, .proceeding:
                leg.state = .proceeding
                if status == 180 || status == 183 {
                    delegate?.legProgress(leg, ringing: status == 180, earlyMedia: SDPSession(body: response.body))
                }
            case .answered, .ending, .ended:
                break
            }
        case 200..<300:
            if let contact = response.headers.contacts?.first { leg.remoteTarget = contact.uri }
            // The dialog's route set: the 2xx's Record-Route, reversed (RFC 3261 §12.1.2).
            if leg.state.isEarly { leg.routeSet = response.headers.values(.recordRoute).reversed().map(String.init) }
            if let cseq = response.headers.cseq { sendAck(leg, cseq: cseq.number) }
            if leg.state == .answered || leg.state == .ended { return }
            if leg.state == .cancelOnProvisional || leg.state == .ending {
                leg.state = .answered
                bye(leg)
                finish(leg)
                return
            }
            leg.state = .answered
            leg.remoteSDP = SDPSession(body: response.body)
            leg.peerAllow = response.headers.all(.allow)
            delegate?.legAnswered(leg, answer: leg.remoteSDP)
            outboundSessionAnswered(leg, response: response)
        default:
            if status == 401 || status == 407, leg.state.isEarly, !leg.authenticated,
                let credentials = leg.trunkCredentials, retryWithCredentials(leg, response: response, credentials: credentials)
            {
                return
            }
            if status == 422, retryWithLargerSessionInterval(leg, response: response) { return }
            guard leg.state.isEarly || leg.state == .cancelOnProvisional || leg.state == .ending else { return }
            let wasCancelled = !leg.state.isEarly
            finish(leg)
            if !wasCancelled { delegate?.legFailed(leg, status: status) }
        }
    }

    /// ACKs a 2xx to the INVITE of `cseq`. A retransmission of that 2xx gets the same ACK again
    /// (RFC 3261 §13.2.2.4), not a new one: a new branch is a new request to the far end, which a UA
    /// already past its ACK may take for an unexpected one (SIPp aborts the call, and never sends its BYE).
    private func sendAck(_ leg: SIPCallLeg, cseq: UInt32) {
        if let sent = leg.ack, sent.headers.cseq?.number == cseq {
            send(.request(sent), to: leg.destination)
            return
        }
        var ack = leg.request(.ack, via: via(toward: leg.destination))
        leg.localCSeq -= 1
        ack.headers.replaceOrAdd(.cseq, "\(cseq) ACK")
        leg.ack = ack
        send(.request(ack), to: leg.destination)
    }

    /// Answers a trunk's 401/407 once, with a new INVITE carrying the credentials.
    private func retryWithCredentials(_ leg: SIPCallLeg, response: SIPResponse, credentials: (username: String, password: String)) -> Bool {
        let proxy = response.statusCode == 407
        guard let header = response.headers.all(proxy ? .proxyAuthenticate : .wwwAuthenticate).compactMap(DigestChallenge.init).first else {
            return false
        }
        let ha1 = Digest.ha1(username: credentials.username, realm: header.realm, password: credentials.password, algorithm: header.algorithm)
        let answer = Digest.credentials(
            answering: header, username: credentials.username, ha1: ha1, method: .invite,
            uri: leg.invite.uri.description, cnonce: SIPCore.newTag())
        var invite = leg.invite
        leg.localCSeq += 1
        invite.headers.replaceOrAdd(.cseq, "\(leg.localCSeq) INVITE")
        invite.headers.replaceOrAdd(.via, via(toward: leg.destination))
        invite.headers.add(proxy ? .proxyAuthorization : .authorization, answer.description)
        leg.invite = invite
        leg.authenticated = true
        // A new INVITE transaction: no provisional response to it yet.
        leg.state = .early
        sendInvite(leg)
        return true
    }

    /// CANCEL an early outbound leg (sent once a provisional response has arrived).
    func cancel(_ leg: SIPCallLeg) {
        guard leg.direction == .outbound else { return }
        switch leg.state {
        case .early: leg.state = .cancelOnProvisional
        case .proceeding: sendCancel(leg)
        case .cancelOnProvisional, .answered, .ending, .ended: break
        }
    }

    /// CANCEL in its own client transaction (Timer E/F). If the INVITE still has no final response
    /// 64·T1 later, its transaction is abandoned and the leg ended (RFC 3261 §9.1).
    private func sendCancel(_ leg: SIPCallLeg) {
        guard leg.state == .proceeding else { return }
        var headers = SIPHeaders()
        if let via = leg.invite.headers.topVia { headers.add(.via, via.description) }
        headers.add(.maxForwards, "70")
        headers.add(.from, leg.invite.headers[.from] ?? "")
        headers.add(.to, leg.invite.headers[.to] ?? "")
        headers.add(.callID, leg.callID)
        headers.add(.cseq, "\(leg.invite.headers.cseq?.number ?? 1) CANCEL")
        for route in leg.invite.headers.all(.route) { headers.add(.route, route) }
        let cancel = SIPRequest(method: .cancel, uri: leg.invite.uri, headers: headers)
        leg.state = .ending
        transactions.sendRequest(cancel, to: leg.destination, response: { _ in }, failed: { _ in })
        let invite = leg.invite
        timerQueue.schedule(in: .microseconds(transactions.timers.transactionTimeout), leg) { [weak self] leg in
            guard let self, leg.state == .ending, leg.invite.headers.cseq == invite.headers.cseq else { return }
            self.transactions.abandon(invite)
            self.finish(leg)
        }
    }
}
