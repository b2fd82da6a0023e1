import AMI
import Foundation
import NIOCore
import NodeSupport
import PBX
import SIPServer

/// Running a channel through its tenant's dialplan: the applications the engine executes itself.
extension CallEngine {
    func startDialplan(_ channel: CallChannel, context: String, exten: String, priority: Int = 1) {
        guard let dialplan = dialplans.dialplan(for: channel.tenant) else {
            hangup(channel, cause: .unallocated, origin: .dialplan)
            return
        }
        channel.execution = DialplanExecution(dialplan: dialplan, context: context, exten: exten, priority: priority)
        runDialplan(channel)
    }

    /// Runs applications until one waits (Dial, Wait) or the channel hangs up.
    func runDialplan(_ channel: CallChannel) {
        if channel.ranSingleApplication {
            hangup(channel, cause: channel.dialCause ?? .normalClearing, origin: .dialplan)
            return
        }
        if case .pending(let single) = channel.singleApplication {
            channel.singleApplication = .ran
            // On the loop's next turn, never inside the answer that started it: ending `;1` there
            // (NoOp, Hangup, Wait(nan) finish at once) left the agent's call up.
            channel.waitTimer = driver.timerQueue.schedule(in: .zero, channel) { [unowned self] channel in
                channel.waitTimer = nil
                guard !channel.isGone else { return }
                let step = DialplanApplicationCall(
                    application: single.application, data: single.data,
                    location: DialplanLocation(
                        context: channel.snapshot.context,
                        exten: channel.snapshot.exten, priority: 1))
                emitNewexten(channel, step)
                if execute(step, on: channel) { hangup(channel, cause: .normalClearing, origin: .dialplan) }
            }
            return
        }
        while !channel.isGone, var execution = channel.execution {
            let step = execution.next(variables: ChannelVariableSource(channel: channel))
            channel.execution = execution
            switch step {
            case .application(let call):
                emitNewexten(channel, call)
                if !execute(call, on: channel) { return }
            case .handled(let call):
                emitNewexten(channel, call)
            case .invalidExtension(let invalid):
                setVariable(channel, "INVALID_EXTEN", invalid.exten)
            case .hangup:
                channel.execution = nil
                hangup(channel, cause: channel.dialCause ?? .normalClearing, origin: .dialplan)
                return
            }
        }
    }

    private func emitNewexten(_ channel: CallChannel, _ call: DialplanApplicationCall) {
        channel.application = (call.application, call.data)
        channel.snapshot.context = call.location.context
        channel.snapshot.exten = call.location.exten
        channel.snapshot.priority = call.location.priority
        emit(.channel("Newexten", channel.snapshot, classes: ["dialplan"], extra: call.newextenFields.map { ($0.name, $0.value) }))
    }

    /// Runs one application; false when the channel waits (or is gone) instead of continuing.
    private func execute(_ step: DialplanApplicationCall, on channel: CallChannel) -> Bool {
        let arguments = step.arguments
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
            guard let assignment = step.setAssignment else { return true }
            setVariable(channel, assignment.name, assignment.value)
            return true
        case "wait":
            // `pbx_builtin_wait()`: wait only for a valid, positive duration (clamped to INT_MAX ms);
            // anything else continues at once.
            guard let milliseconds = DurationArgument.milliseconds(step.data), milliseconds > 0 else {
                if DurationArgument.milliseconds(step.data) == nil, !step.data.isEmpty {
                    logger.warning(
                        "Wait: not a duration; not waiting", metadata: ["data": "\(PlainText.quoted(step.data))", "channel": "\(channel.name)"])
                }
                return true
            }
            channel.waitTimer = driver.timerQueue.schedule(in: .milliseconds(Int64(milliseconds)), channel) { [unowned self] channel in
                channel.waitTimer = nil
                self.runDialplan(channel)
            }
            return false
        case "dial":
            startDial(channel, arguments: arguments)
            return false
        case "busy":
            setState(channel, .busy)
            hangup(channel, cause: .userBusy, origin: .dialplan)
            return false
        case "congestion":
            hangup(channel, cause: .congestion, origin: .dialplan)
            return false
        case "hangup":
            // `pbx_builtin_hangup()`: a cause is a positive number (Q.850 codes end at 127); anything
            // else is "Invalid cause given to Hangup()" and the channel keeps the cause it has.
            let given = (arguments.first ?? "").trimmingCharacters(in: .whitespaces)
            let number = given.isEmpty ? nil : Self.hangupCauseArgument.value(given)
            if !given.isEmpty, number == nil {
                logger.warning("Invalid cause given to Hangup()", metadata: ["data": "\(PlainText.quoted(given))", "channel": "\(channel.name)"])
            }
            let cause = number.map(HangupCause.init(rawValue:)) ?? channel.dialCause ?? .normalClearing
            hangup(channel, cause: cause, origin: .dialplan)
            return false
        default:
            logger.warning(
                "dialplan application not supported; hanging up", metadata: ["application": "\(step.application)", "channel": "\(channel.name)"])
            hangup(channel, cause: .normalClearing, origin: .dialplan)
            return false
        }
    }

    /// `Hangup(cause)`: Q.850 cause values are 1-127 (ITU-T Q.850 §2.2.5, a 7-bit field).
    static let hangupCauseArgument = NumberField("cause", 1...127)

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
        if case .local(half: 2) = channel.technology, let first = channel.localPartner {
            answer(first)
        }
        if let tracking = channel.endOriginateWait() { tracking.onAnswer() }
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

/// A channel's variables and built-ins as the dialplan reads them.
struct ChannelVariableSource: DialplanVariableSource {
    let channel: CallChannel

    func variable(_ name: String) -> String? {
        switch name {
        case "CHANNEL": return channel.snapshot.name
        case "UNIQUEID": return channel.snapshot.uniqueID
        case "LINKEDID": return channel.snapshot.linkedID
        case "ACCOUNTCODE": return channel.snapshot.accountCode
        default: return channel.snapshot.variables[name]
        }
    }

    func function(_ name: String, argument: String) -> String? {
        guard name == "CALLERID" else { return nil }
        switch argument.lowercased() {
        case "num", "number": return channel.snapshot.callerID.number
        case "name": return channel.snapshot.callerID.name
        default: return nil
        }
    }
}
