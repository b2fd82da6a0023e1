import Foundation
import Logging
import NIOCore
import PBX
import SIP
import Store

/// The SIP side of calls (the B2BUA's dialogs): INVITE as UAS (with digest) and UAC, ACK, BYE,
/// CANCEL, re-INVITE, retransmissions. Confined to one event loop; the engine drives it.
final class SIPCallDriver {
    let loop: any EventLoop
    let core: SIPCore
    let hub: SIPTransportHub
    let logger: Logger
    weak var delegate: (any SIPCallDriverDelegate)?
    /// Every live leg by its Call-ID (the two legs of a call through Centralino have different ones).
    private(set) var legs: [String: SIPCallLeg] = [:]
    private var nextLegID = 1

    /// Methods handled here rather than by the registrar.
    static let dialogMethods: Set<SIPMethod> = [.invite, .ack, .bye, .cancel, .update, .info]

    init(loop: any EventLoop, core: SIPCore, hub: SIPTransportHub, logger: Logger) {
        self.loop = loop
        self.core = core
        self.hub = hub
        self.logger = logger
    }

    func send(_ message: SIPMessage, to destination: SIPEndpoint, delay: TimeAmount? = nil) {
        hub.send(SIPOutbound(destination: destination, bytes: message.serialized, delay: delay))
    }

    func via(toward destination: SIPEndpoint) -> String {
        "SIP/2.0/\(destination.transport.rawValue.uppercased()) \(core.localAddress(destination));branch=\(SIPVia.magicCookie)\(SIPCore.newTag());rport"
    }

    func contact(toward destination: SIPEndpoint) -> String {
        "<sip:centralino@\(core.localAddress(destination));transport=\(destination.transport.rawValue)>"
    }

    // MARK: - Requests from the network

    func handleRequest(_ request: SIPRequest, from source: SIPEndpoint) {
        guard let callID = request.headers.callID else { return }
        let leg = legs[callID]
        switch request.method {
        case .invite where leg == nil:
            incomingInvite(request, from: source)
        case .invite:
            if request.headers.to?.tag == nil {
                if let bytes = leg?.lastInviteResponse { hub.send(SIPOutbound(destination: source, bytes: bytes)) }
            } else if let leg {
                reInvite(request, leg: leg, from: source)
            }
        case .ack:
            guard let leg, leg.direction == .inbound else { return }
            leg.cancelRetransmission()
            if leg.state == .ending { finish(leg) }
        case .bye:
            send(.response(core.reply(request, leg == nil ? 481 : 200)), to: source)
            guard let leg else { return }
            leg.cancelRetransmission()
            finish(leg)
            delegate?.legEnded(leg, cause: .normalClearing)
        case .cancel:
            guard let leg, leg.direction == .inbound, leg.state == .early else {
                send(.response(core.reply(request, 481)), to: source)
                return
            }
            send(.response(core.reply(request, 200)), to: source)
            respond(leg, 487)
            delegate?.legEnded(leg, cause: .normalClearing)
        default:
            send(.response(core.reply(request, leg == nil ? 481 : 200)), to: source)
        }
    }

    private func incomingInvite(_ request: SIPRequest, from source: SIPEndpoint) {
        guard let from = request.headers.from, let user = from.uri.user,
              let tenant = core.directory.tenant(forHost: from.uri.host) else {
            send(.response(core.reply(request, 403, reason: "Forbidden")), to: source)
            return
        }
        switch core.checkDigest(request, user: user, tenant: tenant, source: source, now: .now(), wallClock: SIPClock.wallSeconds()) {
        case .refuse(let response, let delay):
            send(.response(response), to: source, delay: delay)
        case .authenticated(let caller):
            let leg = SIPCallLeg(id: nextID(), direction: .inbound, tenant: tenant.uuid, destination: source,
                                 callID: request.headers.callID ?? "", localTag: SIPCore.newTag(),
                                 localParty: request.headers[.to] ?? "", remoteParty: Self.withoutTag(request.headers[.from] ?? ""),
                                 remoteTarget: request.headers.contacts?.first?.uri ?? from.uri, invite: request)
            leg.remoteTag = from.tag
            leg.remoteSDP = SDPSession(body: request.body)
            register(leg)
            respond(leg, 100)
            delegate?.incomingCall(leg, caller: caller, dialed: request.uri.user ?? "", offer: leg.remoteSDP)
        }
    }

    // MARK: - Inbound leg actions (we are UAS)

    /// Sends a response to the INVITE of an inbound leg; finals on UDP are retransmitted until ACK.
    func respond(_ leg: SIPCallLeg, _ status: Int, sdp: SDPSession? = nil) {
        guard leg.direction == .inbound, leg.state == .early else { return }
        var response = SIPResponse(replyingTo: leg.invite, statusCode: status, toTag: status == 100 ? nil : leg.localTag)
        if status != 100 { response.headers.add(.contact, contact(toward: leg.destination)) }
        response.headers.add(.server, SIPCore.serverName)
        if status >= 200 { response.headers.add(.allow, SIPCore.allowedMethods) }
        if let sdp {
            leg.localSDP = sdp
            response.headers.add(.contentType, "application/sdp")
            response.body = sdp.body
        }
        let bytes = response.serialized
        leg.lastInviteResponse = bytes
        hub.send(SIPOutbound(destination: leg.destination, bytes: bytes))
        guard status >= 200 else { return }
        leg.state = (200..<300).contains(status) ? .answered : .ending
        if leg.destination.transport == .udp {
            leg.retransmitStarted = .now()
            leg.retransmitInterval = SIPCore.t1
            scheduleResponseRetransmission(leg)
        } else if leg.state == .ending {
            finish(leg)
        }
    }

    private func scheduleResponseRetransmission(_ leg: SIPCallLeg) {
        leg.retransmission = loop.scheduleConfined(in: leg.retransmitInterval, leg) { [unowned self] leg in
            guard let bytes = leg.lastInviteResponse else { return }
            if NIODeadline.now() - leg.retransmitStarted >= SIPCore.timerF {
                // Timer H: no ACK. A 2xx without ACK ends the call (RFC 3261 §13.3.1.4).
                let answered = leg.state == .answered
                if answered { self.bye(leg) }
                self.finish(leg)
                if answered { self.delegate?.legEnded(leg, cause: .normalClearing) }
                return
            }
            self.hub.send(SIPOutbound(destination: leg.destination, bytes: bytes))
            leg.retransmitInterval = min(leg.retransmitInterval * 2, SIPCore.t2)
            self.scheduleResponseRetransmission(leg)
        }
    }

    // MARK: - Ending

    /// Ends a leg from our side in whatever way its state needs: BYE, CANCEL, or a final failure.
    func hangup(_ leg: SIPCallLeg, cause: HangupCause) {
        switch (leg.direction, leg.state) {
        case (_, .answered): bye(leg); finish(leg)
        case (.inbound, .early): respond(leg, cause.sipStatus == 200 ? 487 : cause.sipStatus)
        case (.outbound, .early): cancel(leg)
        case (_, .ending), (_, .ended): break
        }
    }

    func bye(_ leg: SIPCallLeg) {
        leg.cancelRetransmission()
        send(.request(leg.request(.bye, via: via(toward: leg.destination))), to: leg.destination)
    }

    func register(_ leg: SIPCallLeg) {
        legs[leg.callID] = leg
    }

    func finish(_ leg: SIPCallLeg) {
        leg.cancelRetransmission()
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
