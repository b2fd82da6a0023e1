import Foundation
import PBX
import SIP
import SIPServer

/// The SIP driver's news, turned into channel changes.
extension CallEngine: SIPCallDriverDelegate {
    /// An extension calls: a channel `PJSIP/<ext>-…` in state Ring runs `internal` at the dialled number.
    func incomingCall(_ leg: SIPCallLeg, caller: DirectoryExtension, dialed requestUser: String, offer: SDPSession?) {
        // The Request-URI's user part, as Asterisk copies it into `exten[AST_MAX_EXTENSION]`: bounded,
        // so no caller inflates Exten (nor the CallerIDNum of the channels it dials) in every event.
        let dialed = CallerID.bounded(requestUser, toBytes: CallerID.maximumNumberBytes)
        // Over the node's or the tenant's capacity: 503 at once (see docs/security.md).
        guard capacityRefusal(tenant: leg.tenant, channels: 1, mediaLegs: 1) == nil else {
            driver.respond(leg, 503)
            return
        }
        // In a cluster, a tenant's calls run on its home node only (docs/cluster.md).
        if let home = homes?.homeElsewhere(leg.tenant) {
            logger.notice(
                "INVITE refused: tenant homed on another node",
                metadata: ["tenant": "\(leg.tenant.uuidString.lowercased())", "home": "\(home)"])
            driver.respond(leg, 503, retryAfter: CallHomeGate.retryAfterSeconds)
            return
        }
        guard let choice = CallSDP.choose(from: offer) else {
            driver.respond(leg, 488)
            return
        }
        let uniqueID = newUniqueID()
        let snapshot = PBX.Channel(
            name: "PJSIP/\(caller.number)-\(ids.nextNameSuffix(technology: "PJSIP"))", uniqueID: uniqueID,
            tenant: leg.tenant, state: .ring,
            callerID: CallerID(name: caller.name ?? "", number: caller.number),
            context: "internal", exten: dialed, priority: 1)
        let channel = CallChannel(snapshot: snapshot, technology: .sip(leg))
        channel.codec = choice
        addChannel(channel)
        openMedia(for: channel, toward: leg.destination) { [unowned self] result in
            guard !channel.isGone else {
                if case .success(let port) = result { port.close() }
                return
            }
            switch result {
            case .failure(let error):
                logger.error("no media ports for an inbound call", metadata: ["error": "\(error)"])
                hangup(channel, cause: .congestion, origin: .dialer)
            case .success(let port):
                channel.media = port
                if let remote = CallSDP.remoteAudio(offer) { port.setRemote(host: remote.host, port: remote.port) }
                leg.localSDP = CallSDP.answer(offer, choice: choice, host: port.host, port: port.port)
                startDialplan(channel, context: "internal", exten: dialed)
            }
        }
    }

    func legProgress(_ leg: SIPCallLeg, ringing: Bool, earlyMedia: SDPSession?) {
        guard let channel = channelByLeg[leg.id] else { return }
        targetRinging(channel, earlyMedia: earlyMedia)
    }

    func legAnswered(_ leg: SIPCallLeg, answer: SDPSession?) {
        guard let channel = channelByLeg[leg.id] else {
            driver.hangup(leg, cause: .normalClearing)
            return
        }
        if channel.dialedBy == nil {
            // Answered without a Dial waiting (an Originate to a SIP channel).
            if let remote = CallSDP.remoteAudio(answer) { channel.media?.setRemote(host: remote.host, port: remote.port) }
            self.answer(channel)
            return
        }
        targetAnswered(channel, answer: answer)
    }

    func legFailed(_ leg: SIPCallLeg, status: Int) {
        guard let channel = channelByLeg[leg.id] else { return }
        targetFailed(channel, status: status)
    }

    /// Hold and resume pass across: the leg the re-INVITEd one is talking to is re-INVITEd with the same
    /// direction, then the first re-INVITE is answered. Media stays anchored either way.
    func legReInvited(_ leg: SIPCallLeg, direction: SDPDirection) -> Bool {
        guard let channel = channelByLeg[leg.id], let bridge = channel.bridge,
            let peer = bridge.channels.first(where: { $0 !== channel }),
            let far = mediaEndpoint(of: peer), let farLeg = far.sipLeg, farLeg.state == .answered
        else { return false }
        let previous = channel.heldDirection
        channel.heldDirection = direction
        if previous != direction {
            emit(.channel(direction == .sendrecv ? "Unhold" : "Hold", channel.snapshot))
        }
        driver.sendReInvite(farLeg, direction: direction) { [unowned self] _ in
            driver.answerReInvite(leg, direction: direction)
        }
        return true
    }

    func legEnded(_ leg: SIPCallLeg, cause: HangupCause) {
        guard let channel = channelByLeg[leg.id] else { return }
        leg.state = .ended
        hangup(channel, cause: cause)
    }
}
