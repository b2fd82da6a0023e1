import Foundation
import Logging
import NIOCore
import NodeSupport
import PBX
import SIP
import SIPServer

/// The SIP side of calls (the B2BUA's dialogs): INVITE as UAS (with digest) and UAC, ACK, BYE,
/// CANCEL, re-INVITE. Confined to one event loop; the engine drives it. Every request it sends and
/// every response to a request it receives goes through `transactions` (RFC 3261 §17), which owns
/// all retransmission; in-dialog requests are matched to a leg on Call-ID and both tags (§12.2.2).
final class SIPCallDriver {
    let loop: any EventLoop
    /// The engine shard this driver belongs to: its tags, Call-IDs and branches carry it (`CallShardMap`).
    let shard: Int
    let core: SIPCore
    let transport: any SIPTransport
    let logger: Logger
    let transactions: SIPTransactionLayer
    /// The shard's timers (its transactions', its legs' and its engine's): see `LoopTimerQueue`.
    let timerQueue: LoopTimerQueue
    weak var delegate: (any SIPCallDriverDelegate)?
    /// Every live leg by its Call-ID (the two legs of a call through Centralino have different ones).
    private(set) var legs: [String: SIPCallLeg] = [:]
    private var nextLegID = 1

    init(loop: any EventLoop, shard: Int = 0, core: SIPCore, transport: any SIPTransport, logger: Logger) {
        self.loop = loop
        self.shard = shard
        self.core = core
        self.transport = transport
        self.logger = logger
        self.timerQueue = LoopTimerQueue(loop: loop)
        self.transactions = SIPTransactionLayer(
            loop: loop, timerQueue: timerQueue, transport: transport, logger: logger,
            maximumEntries: core.configuration.maximumTransactions)
    }

    /// Sends a message outside any transaction (an ACK to a 2xx, RFC 3261 §13.2.2.4).
    func send(_ message: SIPMessage, to destination: SIPEndpoint, delay: TimeAmount? = nil) {
        transport.send(SIPOutbound(destination: destination, bytes: message.serialized, delay: delay))
    }

    /// Answers `request` through its server transaction (retransmitted requests get it again).
    func reply(_ request: SIPRequest, _ status: Int, reason: String? = nil, to source: SIPEndpoint) {
        transactions.respond(to: request, with: core.reply(request, status, reason: reason), destination: source)
    }

    func via(toward destination: SIPEndpoint) -> String {
        "SIP/2.0/\(destination.transport.rawValue.uppercased()) \(transport.localAddress(toward: destination));branch=\(SIPVia.magicCookie)\(CallShardMap.token(shard));rport"
    }

    func contact(toward destination: SIPEndpoint) -> String {
        "<sip:centralino@\(transport.localAddress(toward: destination));transport=\(destination.transport.rawValue)>"
    }

    // MARK: - Requests from the network

    func handleRequest(_ request: SIPRequest, from source: SIPEndpoint) {
        guard let callID = request.headers.callID else { return }
        if request.method == .ack {
            receiveAck(request)
            return
        }
        // A retransmission of a request whose transaction runs is answered (or absorbed) there.
        if transactions.receiveRequest(request, from: source) { return }
        let leg = dialogLeg(for: request)
        switch request.method {
        case .invite where request.headers.to?.tag == nil:
            guard legs[callID] == nil else {
                // Same Call-ID, another INVITE transaction: a merged or forged request (RFC 3261 §8.2.2.2).
                reply(request, 482, reason: "Loop Detected", to: source)
                return
            }
            incomingInvite(request, from: source)
        case .invite:
            guard let leg else {
                reply(request, 481, to: source)
                return
            }
            reInvite(request, leg: leg, from: source)
        case .update:
            guard let leg else {
                reply(request, 481, to: source)
                return
            }
            update(request, leg: leg, from: source)
        case .bye:
            reply(request, leg == nil ? 481 : 200, to: source)
            guard let leg else { return }
            transactions.stopRetransmissions(callID: leg.callID)
            finish(leg)
            delegate?.legEnded(leg, cause: .normalClearing)
        case .cancel:
            // CANCEL matches the INVITE transaction it cancels (§9.2): same Call-ID, From tag and branch.
            guard let leg = legs[callID], leg.direction == .inbound, leg.state == .early,
                Self.sameTransaction(request, leg.invite)
            else {
                reply(request, 481, to: source)
                return
            }
            reply(request, 200, to: source)
            respond(leg, 487)
            delegate?.legEnded(leg, cause: .normalClearing)
        default:
            reply(request, leg == nil ? 481 : 200, to: source)
        }
    }

    /// ACK: for a non-2xx final it ends in its INVITE transaction; for a 2xx it stops our
    /// retransmission of that 2xx, when it belongs to the dialog.
    private func receiveAck(_ request: SIPRequest) {
        if transactions.absorbAck(request) { return }
        guard dialogLeg(for: request) != nil else { return }
        _ = transactions.acknowledge(request)
    }

    /// The leg an in-dialog request belongs to (RFC 3261 §12.2.2): its Call-ID, our tag in To and the
    /// peer's tag in From. A request matching the Call-ID alone (a stranger guessing or replaying it)
    /// belongs to no dialog and gets 481.
    func dialogLeg(for request: SIPRequest) -> SIPCallLeg? {
        guard let callID = request.headers.callID, let leg = legs[callID],
            let toTag = request.headers.to?.tag, toTag == leg.localTag,
            request.headers.from?.tag == leg.remoteTag
        else { return nil }
        return leg
    }

    /// Whether `request` (a CANCEL) belongs to the transaction of `invite`: same From tag, CSeq
    /// number, top Via branch and sent-by (RFC 3261 §9.2, §17.2.3).
    static func sameTransaction(_ request: SIPRequest, _ invite: SIPRequest) -> Bool {
        guard let via = request.headers.topVia, let original = invite.headers.topVia else { return false }
        return request.headers.from?.tag == invite.headers.from?.tag
            && request.headers.cseq?.number == invite.headers.cseq?.number
            && via.branch == original.branch && via.sentBy.lowercased() == original.sentBy.lowercased()
    }

    private func incomingInvite(_ request: SIPRequest, from source: SIPEndpoint) {
        guard let from = request.headers.from, let user = from.uri.user,
            let tenant = core.directory.tenant(forHost: from.uri.host)
        else {
            reply(request, 403, reason: "Forbidden", to: source)
            return
        }
        switch core.checkDigest(request, user: user, tenant: tenant, source: source, now: .now(), wallClock: SIPClock.wallSeconds()) {
        case .refuse(let response, let delay):
            guard let delay else {
                transactions.respond(to: request, with: response, destination: source)
                return
            }
            // A slowed refusal (failed digest): retransmissions meanwhile get 100 Trying.
            timerQueue.schedule(in: delay, transactions) { $0.respond(to: request, with: response, destination: source) }
        case .authenticated(let caller):
            guard acceptSessionTimer(request, leg: nil, from: source) else { return }
            let leg = SIPCallLeg(
                id: nextID(), direction: .inbound, tenant: tenant.uuid, destination: source,
                callID: request.headers.callID ?? "", localTag: CallShardMap.token(shard),
                localParty: request.headers[.to] ?? "", remoteParty: Self.withoutTag(request.headers[.from] ?? ""),
                remoteTarget: request.headers.contacts?.first?.uri ?? from.uri, invite: request)
            leg.remoteTag = from.tag
            leg.routeSet = request.headers.values(.recordRoute).map(String.init)
            leg.remoteSDP = SDPSession(body: request.body)
            _ = acceptSessionTimer(request, leg: leg, from: source)
            register(leg)
            delegate?.incomingCall(leg, caller: caller, dialed: request.uri.user ?? "", offer: leg.remoteSDP)
        }
    }

    // MARK: - Inbound leg actions (we are UAS)

    /// Sends a response to the INVITE of an inbound leg through its server transaction (100 Trying
    /// was sent when it started). A 2xx is retransmitted until ACK; with no ACK within 64·T1 the
    /// call ends with BYE (RFC 3261 §13.3.1.4). A failure final ends the leg at once; its
    /// transaction retransmits it until ACK.
    func respond(_ leg: SIPCallLeg, _ status: Int, sdp: SDPSession? = nil, retryAfter: Int? = nil) {
        guard leg.direction == .inbound, leg.state == .early, status != 100 else { return }
        var response = SIPResponse(replyingTo: leg.invite, statusCode: status, toTag: leg.localTag)
        if let retryAfter { response.headers.add(.retryAfter, "\(retryAfter)") }
        // Record-Route copied into dialog-creating responses (RFC 3261 §12.1.1).
        if status < 300 { for route in leg.invite.headers.all(.recordRoute) { response.headers.add(.recordRoute, route) } }
        response.headers.add(.contact, contact(toward: leg.destination))
        response.headers.add(.server, SIPCore.serverName)
        if status >= 200 { response.headers.add(.allow, SIPCore.allowedMethods) }
        if let sdp {
            leg.localSDP = sdp
            response.headers.add(.contentType, "application/sdp")
            response.body = sdp.body
        }
        guard (200..<300).contains(status) else {
            transactions.respond(to: leg.invite, with: response, destination: leg.destination)
            if status >= 300 {
                leg.state = .ending
                finish(leg)
            }
            return
        }
        leg.state = .answered
        addSessionTimerHeaders(&response, leg: leg)
        transactions.respond(
            to: leg.invite, with: response, destination: leg.destination,
            noAck: { [weak self, weak leg] in
                guard let self, let leg else { return }
                self.noAck(leg)
            })
        sessionAnswered(leg)
    }

    /// Timer H of our 2xx: the peer never ACKed it, so the dialog ends with BYE (§13.3.1.4).
    func noAck(_ leg: SIPCallLeg) {
        guard leg.state == .answered else { return }
        logger.info("no ACK for our 2xx: ending the call", metadata: ["call-id": "\(leg.callID)"])
        bye(leg)
        finish(leg)
        delegate?.legEnded(leg, cause: .normalClearing)
    }

    // MARK: - Ending

    /// Ends a leg from our side in whatever way its state needs: BYE, CANCEL, or a final failure.
    func hangup(_ leg: SIPCallLeg, cause: HangupCause) {
        switch (leg.direction, leg.state) {
        case (_, .answered):
            bye(leg)
            finish(leg)
        case (.inbound, .early): respond(leg, cause.sipStatus == 200 ? 487 : cause.sipStatus)
        case (.outbound, .early), (.outbound, .proceeding): cancel(leg)
        case (_, .cancelOnProvisional), (.inbound, .proceeding), (_, .ending), (_, .ended): break
        }
    }

    /// BYE in its own client transaction: retransmitted (Timer E) until answered or Timer F.
    /// Sends BYE in its own client transaction; `ended` runs once it has a final response or failed.
    func bye(_ leg: SIPCallLeg, ended: @escaping () -> Void = {}) {
        transactions.stopRetransmissions(callID: leg.callID)
        let request = leg.request(.bye, via: via(toward: leg.destination))
        let logger = self.logger
        transactions.sendRequest(
            request, to: leg.destination,
            response: { response in
                if !response.isProvisional { ended() }
            },
            failed: { failure in
                logger.info("BYE not answered", metadata: ["call-id": "\(leg.callID)", "status": "\(failure.status)"])
                ended()
            })
    }

    func register(_ leg: SIPCallLeg) {
        legs[leg.callID] = leg
    }

    func finish(_ leg: SIPCallLeg) {
        stopSessionTimer(leg)
        leg.state = .ended
        if legs[leg.callID] === leg { legs[leg.callID] = nil }
    }

    func nextID() -> Int {
        defer { nextLegID += 1 }
        return nextLegID
    }

    static func withoutTag(_ value: String) -> String {
        guard var address = SIPNameAddress(value) else { return value }
        address.parameters["tag"] = nil
        return address.description
    }
}
