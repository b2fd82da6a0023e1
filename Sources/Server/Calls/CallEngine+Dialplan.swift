import AMI
import Foundation
import NIOCore
import PBX

/// Running a channel through its tenant's dialplan: the applications the engine executes itself.
extension CallEngine {
    func startDialplan(_ channel: CallChannel, context: String, exten: String, priority: Int = 1) {
        channel.cursor = DialplanCursor(context: context, exten: exten, priority: priority)
        runDialplan(channel)
    }

    /// Runs applications until one waits (Dial, Wait) or the channel hangs up.
    func runDialplan(_ channel: CallChannel) {
        while !channel.isGone, var cursor = channel.cursor {
            let variables = builtInVariables(channel)
            guard let step = dialplans.next(tenant: channel.tenant, cursor: &cursor, variables: variables) else {
                channel.cursor = nil
                hangup(channel, cause: .normalClearing)
                return
            }
            channel.cursor = cursor
            channel.snapshot.context = step.context
            channel.snapshot.exten = step.exten
            channel.snapshot.priority = step.priority
            emit(.channel("Newexten", channel.snapshot, classes: ["dialplan"],
                          extra: [("Extension", step.exten), ("Application", step.application), ("AppData", step.data)]))
            if !execute(step, on: channel) { return }
        }
    }

    /// Runs one application; false when the channel waits (or is gone) instead of continuing.
    private func execute(_ step: DialplanInstruction, on channel: CallChannel) -> Bool {
        let arguments = AMIVariables.splitArguments(step.data)
        switch step.application.lowercased() {
        case "noop", "verbose", "log":
            return true
        case "answer":
            answer(channel)
            return true
        case "ringing":
            indicateRinging(channel)
            return true
        case "progress":
            indicateProgress(channel)
            return true
        case "set":
            guard let equals = step.data.firstIndex(of: "=") else { return true }
            setVariable(channel, String(step.data[..<equals]), String(step.data[step.data.index(after: equals)...]))
            return true
        case "wait":
            let seconds = Double(arguments.first ?? "") ?? 0
            channel.waitTimer = loop.scheduleConfined(in: .milliseconds(Int64(seconds * 1000)), channel) { [unowned self] channel in
                channel.waitTimer = nil
                self.runDialplan(channel)
            }
            return false
        case "dial":
            startDial(channel, arguments: arguments)
            return false
        case "busy":
            setState(channel, .busy)
            hangup(channel, cause: .userBusy)
            return false
        case "congestion":
            hangup(channel, cause: .congestion)
            return false
        case "hangup":
            hangup(channel, cause: HangupCause(rawValue: Int(arguments.first ?? "") ?? HangupCause.normalClearing.rawValue))
            return false
        default:
            logger.warning("dialplan application not supported; hanging up", metadata: ["application": "\(step.application)", "channel": "\(channel.name)"])
            hangup(channel, cause: .normalClearing)
            return false
        }
    }

    /// Channel variables plus the built-ins expressions may use.
    func builtInVariables(_ channel: CallChannel) -> [String: String] {
        var variables: [String: String] = [:]
        for (name, value) in channel.snapshot.variables.entries { variables[ChannelVariables.baseName(name)] = value }
        variables["CALLERID(num)"] = channel.snapshot.callerID.number
        variables["CALLERID(name)"] = channel.snapshot.callerID.name
        variables["UNIQUEID"] = channel.snapshot.uniqueID
        variables["CHANNEL"] = channel.snapshot.name
        return variables
    }

    // MARK: - Indications on the caller's side

    /// Answers a channel that is not up yet (200 OK with our SDP for a SIP leg).
    func answer(_ channel: CallChannel) {
        guard !channel.isAnswered, !channel.isGone else { return }
        switch channel.technology {
        case .sip(let leg):
            channel.media?.stopTone()
            if leg.direction == .inbound { driver.respond(leg, 200, sdp: leg.localSDP ?? answerSDP(for: channel)) }
        case .local, .pending:
            break
        }
        setState(channel, .up)
        if let tracking = channel.originate {
            channel.originate = nil
            tracking.onAnswer()
        }
    }

    func indicateRinging(_ channel: CallChannel) {
        guard !channel.isAnswered, !channel.isGone else { return }
        if let leg = channel.sipLeg, leg.direction == .inbound { driver.respond(leg, 180) }
        setState(channel, .ringing)
    }

    /// 183 with our SDP, then Centralino's ringback on the caller's media (no early media from the far end).
    func indicateProgress(_ channel: CallChannel, ringback: Bool = false) {
        guard !channel.isAnswered, !channel.isGone else { return }
        if let leg = channel.sipLeg, leg.direction == .inbound {
            driver.respond(leg, 183, sdp: leg.localSDP ?? answerSDP(for: channel))
        }
        if ringback, let media = channel.media, let codec = channel.codec {
            media.startRingback(payloadType: codec.payloadType, country: toneCountry(channel))
        }
    }

    func toneCountry(_ channel: CallChannel) -> String {
        directory.tenant(uuid: channel.tenant)?.toneCountry ?? "it"
    }
}
