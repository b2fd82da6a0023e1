import AMI
import Foundation
import NIOCore
import NodeSupport
import PBX
import SIP
import SIPServer

/// The Dial application: ring every target (all registered contacts of an extension, or a trunk),
/// first answer wins, the rest are cancelled; DIALSTATUS as Asterisk sets it.
extension CallEngine {
    func startDial(_ caller: CallChannel, arguments: [String]) {
        let dialString = arguments.first ?? ""
        let dial = ActiveDial(caller: caller)
        caller.dial = dial
        caller.application = ("Dial", arguments.joined(separator: ","))
        for name in ["DIALSTATUS", "DIALEDPEERNAME", "DIALEDPEERNUMBER"] { setVariable(caller, name, "") }
        for target in dialString.split(separator: "&").map(String.init) {
            for channel in makeTargets(target, caller: caller) {
                // Each target takes a channel and a media leg of the tenant's capacity.
                if capacityRefusal(tenant: caller.tenant, channels: 1, mediaLegs: 1, reservedFor: caller.snapshot.linkedID) != nil {
                    dial.failures.append(.congestion)
                    continue
                }
                channel.dialedBy = dial
                dial.targets.append(channel)
                let (callerID, connected) = (channel.snapshot.callerID, channel.snapshot.connectedLine)
                channel.snapshot.exten = callerID.number
                channel.snapshot.callerID = CallerID()
                channel.snapshot.connectedLine = CallerID()
                addChannel(channel)
                for (name, value) in caller.snapshot.variables.inherited().entries { setVariable(channel, name, value) }
                applyCallerID(channel, callerID: callerID, connected: connected)
                emit(
                    PBXEvent(
                        "DialBegin",
                        fields: callerBlock(caller) + channel.snapshot.eventFields(prefix: "Dest")
                            + [("DialString", Self.dialStringResource(target))], tenant: caller.tenant))
                placeOutbound(channel, caller: caller)
            }
        }
        guard !dial.targets.isEmpty else {
            finishDial(dial, status: dial.failures.isEmpty ? "CHANUNAVAIL" : "CONGESTION")
            return
        }
        // As app_dial: a timeout that is not a positive number rings forever; a huge one is clamped.
        let timeoutText = arguments.count > 1 ? arguments[1] : ""
        let milliseconds = DialArguments.timeoutMilliseconds(timeoutText)
        if milliseconds == nil, !timeoutText.isEmpty {
            logger.warning("Invalid answer timeout specified; setting timeout to infinite", metadata: ["timeout": "\(PlainText.quoted(timeoutText))"])
        }
        if let milliseconds {
            dial.timer = driver.timerQueue.schedule(in: .milliseconds(Int64(milliseconds)), dial) { [unowned self] dial in
                self.dialTimedOut(dial)
            }
        }
    }

    /// The block of the calling channel, absent when the dial comes from an Originate (no caller).
    func callerBlock(_ caller: CallChannel) -> [(String, String)] {
        caller.originate != nil && caller.execution == nil ? [] : caller.snapshot.eventFields()
    }

    /// `PJSIP/100` → `100`: the DialString field is the part after the technology.
    static func dialStringResource(_ target: String) -> String {
        guard let slash = target.firstIndex(of: "/") else { return target }
        return String(target[target.index(after: slash)...])
    }

    /// Channels for one dial target, within the caller's tenant only.
    func makeTargets(_ target: String, caller: CallChannel) -> [CallChannel] {
        let parts = target.split(separator: "/", maxSplits: 1).map(String.init)
        guard parts.count == 2, parts[0].uppercased() == "PJSIP" else {
            logger.notice("dial target not supported", metadata: ["target": "\(target)"])
            return []
        }
        let resource = parts[1]
        if let at = resource.firstIndex(of: "@") {
            return trunkTarget(number: String(resource[..<at]), trunkName: String(resource[resource.index(after: at)...]), caller: caller)
        }
        return extensionTargets(resource, caller: caller)
    }

    private func extensionTargets(_ number: String, caller: CallChannel) -> [CallChannel] {
        sip.reachableBindings(tenant: caller.tenant, number: number).compactMap { binding in
            guard let endpoint = SIPCore.endpoint(binding) else { return nil }
            let channel = newOutboundChannel(name: "PJSIP/\(number)", caller: caller, dialed: number)
            channel.pendingOutbound = PendingOutbound(
                target: binding.contact.uri, destination: endpoint,
                domain: directory.tenant(uuid: caller.tenant)?.domain ?? "default",
                toUser: number, credentials: nil, route: binding.path)
            return channel
        }
    }

    private func trunkTarget(number: String, trunkName: String, caller: CallChannel) -> [CallChannel] {
        guard let stored = directory.trunk(tenant: caller.tenant, name: trunkName), case let trunk = stored.trunk else {
            logger.notice("dial to unknown trunk", metadata: ["trunk": "\(trunkName)"])
            return []
        }
        let channel = newOutboundChannel(name: "PJSIP/\(trunkName)", caller: caller, dialed: number)
        channel.rtpTimeout = trunk.rtpTimeout.map { .seconds(Int64($0)) }
        let hostPort = trunk.host.hasColon ? "[\(trunk.host)]:\(trunk.port)" : "\(trunk.host):\(trunk.port)"
        channel.pendingOutbound = PendingOutbound(
            target: SIPURI(user: number, host: trunk.host, port: trunk.port),
            destination: nil, domain: hostPort, toUser: number,
            credentials: trunk.username.map { ($0, stored.password ?? "") },
            trunkHost: (trunk.host, trunk.port, trunk.transport == .tcp ? .tcp : .udp))
        return [channel]
    }

    /// An outbound channel: CallerID is the dialled number, the connected line the caller.
    private func newOutboundChannel(name: String, caller: CallChannel, dialed: String) -> CallChannel {
        // As app_dial: the new channel shows the caller's name with the number the caller dialled
        // (its exten), and the caller as connected line.
        let number = caller.snapshot.exten.isEmpty ? dialed : caller.snapshot.exten
        let snapshot = PBX.Channel(
            name: "\(name)-\(ids.nextNameSuffix(technology: "PJSIP"))", uniqueID: newUniqueID(),
            linkedID: caller.snapshot.linkedID, tenant: caller.tenant, state: .down,
            callerID: CallerID(name: caller.snapshot.callerID.name, number: number), connectedLine: caller.snapshot.callerID,
            accountCode: caller.snapshot.accountCode, context: "internal", exten: dialed, priority: 1)
        let channel = CallChannel(snapshot: snapshot, technology: .pending)
        channel.codec = caller.codec
        return channel
    }

    /// Opens the target's media and sends its INVITE with our offer.
    func placeOutbound(_ channel: CallChannel, caller: CallChannel) {
        guard let pending = channel.pendingOutbound else { return }
        guard let destination = pending.destination else {
            // A trunk's host: resolved off the loop first (placeOutbound runs again with the address).
            resolveTrunkHost(channel, caller: caller)
            return
        }
        openMedia(for: channel, toward: destination) { [unowned self] result in
            guard !channel.isGone, let pending = channel.pendingOutbound else {
                if case .success(let port) = result { port.close() }
                return
            }
            switch result {
            case .failure(let error):
                logger.error("no media ports for an outbound leg", metadata: ["error": "\(error)"])
                hangup(channel, cause: .congestion, origin: .dialer)
            case .success(let port):
                channel.media = port
                let choice = channel.codec ?? CallSDP.choose(from: nil)!
                channel.codec = choice
                let leg = driver.startOutbound(
                    .init(
                        tenant: channel.tenant, target: pending.target, destination: destination,
                        caller: caller.snapshot.callerID.number.isEmpty ? caller.snapshot.connectedLine : caller.snapshot.callerID,
                        domain: pending.domain, toUser: pending.toUser,
                        offer: CallSDP.offer(choice: choice, host: port.host, port: port.port), credentials: pending.credentials,
                        route: pending.route))
                channel.attach(leg)
                channelByLeg[leg.id] = channel
            }
        }
    }

    // MARK: - Outcomes

    func targetRinging(_ target: CallChannel, earlyMedia: SDPSession?) {
        guard let dial = target.dialedBy else { return }
        setState(target, .ringing)
        emit(
            PBXEvent(
                "DialState",
                fields: callerBlock(dial.caller) + target.snapshot.eventFields(prefix: "Dest")
                    + [("DialStatus", "RINGING")], tenant: target.tenant))
        let caller = dial.caller
        if let remote = CallSDP.remoteAudio(earlyMedia), let media = target.media {
            media.setRemote(host: remote.host, port: remote.port)
            indicateProgress(caller)
            if let callerMedia = mediaEndpoint(of: caller)?.media {
                callerMedia.stopTone()
                callerMedia.bridge(with: media)
            }
        } else if caller.isAnswered {
            // The caller is already up (a click-to-call agent): play ringback to whoever is behind it.
            if let endpoint = mediaEndpoint(of: caller), let codec = endpoint.codec {
                endpoint.media?.startRingback(payloadType: codec.payloadType, country: toneCountry(endpoint))
            }
        } else {
            indicateProgress(caller, ringback: true)
        }
        if !caller.isAnswered, !caller.isLocal { setState(caller, .ringing) }
        if case .local(half: 2) = caller.technology, let first = caller.localPartner, !first.isAnswered {
            // `;1` rings while what `;2` dials rings.
            setState(first, .ringing)
            emit(PBXEvent("DialState", fields: first.snapshot.eventFields(prefix: "Dest") + [("DialStatus", "RINGING")], tenant: first.tenant))
        }
    }

    func targetAnswered(_ target: CallChannel, answer: SDPSession?) {
        guard let dial = target.dialedBy, dial.answered == nil else {
            hangup(target, cause: .answeredElsewhere, origin: .dialer)
            return
        }
        dial.answered = target
        dial.timer?.cancel()
        if let remote = CallSDP.remoteAudio(answer) { target.media?.setRemote(host: remote.host, port: remote.port) }
        setState(target, .up)
        for other in dial.targets where other !== target {
            emit(
                PBXEvent(
                    "DialEnd",
                    fields: callerBlock(dial.caller) + other.snapshot.eventFields(prefix: "Dest")
                        + [("DialStatus", "CANCEL")], tenant: other.tenant))
            other.dialedBy = nil
            hangup(other, cause: .answeredElsewhere, origin: .dialer)
        }
        dial.targets = [target]
        let caller = dial.caller
        setVariable(caller, "DIALSTATUS", "ANSWER")
        setVariable(caller, "DIALEDPEERNAME", target.name)
        setVariable(caller, "DIALEDPEERNUMBER", target.snapshot.exten)
        emit(
            PBXEvent(
                "DialEnd",
                fields: callerBlock(caller) + target.snapshot.eventFields(prefix: "Dest")
                    + [("DialStatus", "ANSWER")], tenant: target.tenant))
        caller.dial = nil
        target.dialedBy = nil
        self.answer(caller)
        // Answering the caller may end it at once: a Local `;2` answers its `;1`, whose Originate
        // destination runs there and then (a Dial refused for capacity, a Hangup). The target's call
        // has no future then: it hangs up (BYE) instead of joining a bridge with a gone channel,
        // where nothing would ever end it (the agents' channels left up under overload).
        guard !caller.isGone else {
            hangup(target, cause: .normalClearing, origin: .dialer)
            return
        }
        bridge(caller, target)
    }

    func targetFailed(_ target: CallChannel, status: Int) {
        let cause = HangupCause(sipStatus: status)
        if cause == .userBusy { setState(target, .busy) }
        hangup(target, cause: cause, origin: .dialer)
    }

    /// A target is going away without answering: its DialEnd (raised before its Hangup, as Asterisk).
    /// Returns whether it was still a target; `settleDial` then ends the Dial if none is left.
    func targetLeaving(_ dial: ActiveDial, target: CallChannel, cause: HangupCause) -> Bool {
        guard dial.answered == nil, dial.targets.contains(where: { $0 === target }) else { return false }
        dial.targets.removeAll { $0 === target }
        dial.failures.append(cause)
        dial.caller.dialCause = cause
        emit(
            PBXEvent(
                "DialEnd",
                fields: callerBlock(dial.caller) + target.snapshot.eventFields(prefix: "Dest")
                    + [("DialStatus", cause.dialStatus)], tenant: target.tenant))
        return true
    }

    /// Ends the Dial once no target is left, with the DIALSTATUS its failures add up to.
    func settleDial(_ dial: ActiveDial) {
        if dial.answered == nil, dial.targets.isEmpty, dial.caller.dial === dial, !dial.caller.isGone {
            let status =
                dial.failures.contains(.userBusy)
                ? "BUSY"
                : dial.failures.contains(.congestion) ? "CONGESTION" : (dial.failures.last?.dialStatus ?? "CHANUNAVAIL")
            finishDial(dial, status: status)
        }
    }

    func dialTimedOut(_ dial: ActiveDial) {
        guard dial.answered == nil, !dial.caller.isGone else { return }
        let targets = dial.targets
        dial.targets = []
        for target in targets {
            emit(
                PBXEvent(
                    "DialEnd",
                    fields: callerBlock(dial.caller) + target.snapshot.eventFields(prefix: "Dest")
                        + [("DialStatus", "NOANSWER")], tenant: target.tenant))
            target.dialedBy = nil
            hangup(target, cause: .noAnswer, origin: .dialer)
        }
        finishDial(dial, status: "NOANSWER")
    }

    /// The caller hung up while dialling: every target is cancelled.
    func abandonDial(_ dial: ActiveDial, cause: HangupCause, requestTargets: Bool) {
        dial.timer?.cancel()
        let targets = dial.targets
        dial.targets = []
        dial.caller.dial = nil
        for target in targets where dial.answered !== target {
            emit(
                PBXEvent(
                    "DialEnd",
                    fields: callerBlock(dial.caller) + target.snapshot.eventFields(prefix: "Dest")
                        + [("DialStatus", "CANCEL")], tenant: target.tenant))
            target.dialedBy = nil
            hangup(target, cause: cause, origin: requestTargets ? .farEnd : .dialer)
        }
    }

    func finishDial(_ dial: ActiveDial, status: String) {
        dial.timer?.cancel()
        let caller = dial.caller
        caller.dial = nil
        mediaEndpoint(of: caller)?.media?.stopTone()
        if caller.dialCause == nil || dial.failures.isEmpty { caller.dialCause = Self.cause(forDialStatus: status) }
        setVariable(caller, "DIALSTATUS", status)
        if caller.execution == nil, !caller.ranSingleApplication {
            hangup(caller, cause: Self.cause(forDialStatus: status), origin: .dialplan)
        } else {
            runDialplan(caller)
        }
    }

    static func cause(forDialStatus status: String) -> HangupCause {
        switch status {
        case "BUSY": return .userBusy
        case "CONGESTION": return .congestion
        case "CHANUNAVAIL": return .subscriberAbsent
        default: return .noAnswer
        }
    }

    /// After a bridge ends: a caller that ran Dial continues its dialplan; a dialled target hangs up.
    func continueAfterBridge(_ channel: CallChannel) {
        if channel.execution != nil || channel.ranSingleApplication {
            runDialplan(channel)
        } else {
            hangup(channel, cause: .normalClearing, origin: .dialer)
        }
    }
}
