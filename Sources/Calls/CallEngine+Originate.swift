import AMI
import Foundation
import NIOCore
import NodeSupport
import PBX
import SIPServer

/// The outcome of an Originate, for the AMI response (sync) and the OriginateResponse event (async).
package struct OriginateOutcome: Sendable {
    package var success: Bool
    /// Asterisk's `Reason`: 4 answered, 3 no answer, 5 busy, 8 congestion, 0 anything else.
    package var reason: Int
    /// The originated channel (`;1`) on success; the requested `Tech/data` on failure.
    package var channel: String
    package var uniqueID: String
}

/// Originate: a Local pair (`;1` is the originated channel, `;2` runs the Local target) or a
/// direct SIP channel; once it answers it runs the requested context/exten/priority or application.
extension CallEngine {
    /// The call's linkedid (the originated channel's uniqueid), nil when it failed at once.
    @discardableResult
    func originate(_ request: OriginateRequest, tenant: UUID, completion: @escaping (OriginateOutcome) -> Void) -> String? {
        let failure = { (reason: Int) in
            completion(
                OriginateOutcome(
                    success: false, reason: reason, channel: request.channel,
                    uniqueID: request.channelID ?? "<unknown>"))
        }
        // Admitted by the AMI session with a reservation of the tenant's capacity: the call's channels
        // and media leg take their places from it (`holdReservation`), so only the node's cap is checked here.
        let needed = Self.capacityNeeded(for: request)
        let unused = { [unowned self] in capacity.releaseReservation(tenant: tenant, channels: needed.channels, mediaLegs: needed.mediaLegs) }
        if let refusal = nodeRefusal(channels: needed.channels) {
            logger.notice("call refused", metadata: ["tenant": "\(tenant)", "reason": "\(refusal)"])
            unused()
            failure(0)
            return nil
        }
        let callerID = request.callerID.map(CallerID.init(parsing:)) ?? CallerID()
        let first: CallChannel
        switch request.technology.lowercased() {
        case "local":
            guard let local = makeLocalPair(request, tenant: tenant, callerID: callerID, reserved: needed) else {
                unused()
                failure(0)
                return nil
            }
            first = local
        case "pjsip":
            guard let direct = makeDirectSIP(request, tenant: tenant, callerID: callerID, reserved: needed) else {
                unused()
                failure(0)
                return nil
            }
            first = direct
        default:
            unused()
            failure(0)
            return nil
        }
        let isLocal = first.isLocal
        let linkedID = first.snapshot.linkedID
        first.originate = OriginateTracking(
            onAnswer: { [unowned self, unowned first] in
                releaseReservation(linkedID: linkedID)
                completion(OriginateOutcome(success: true, reason: 4, channel: first.name, uniqueID: first.snapshot.uniqueID))
                emit(PBXEvent("DialEnd", fields: first.snapshot.eventFields(prefix: "Dest") + [("DialStatus", "ANSWER")], tenant: tenant))
                runOriginateDestination(request.destination, on: first)
            },
            onFailure: { [unowned self, unowned first] cause in
                releaseReservation(linkedID: linkedID)
                // The dialer reports how `;1` ended, except when it gave up itself (no answer in time).
                if cause != .noAnswer {
                    emit(PBXEvent("DialEnd", fields: first.snapshot.eventFields(prefix: "Dest") + [("DialStatus", cause.dialStatus)], tenant: tenant))
                }
                failure(Self.originateReason(cause, throughLocal: isLocal))
            })
        let timeout = max(request.timeout, 1)
        // Cancelled once `;1` answers or fails (`endOriginateWait`).
        first.originate?.timeout = driver.timerQueue.schedule(in: .milliseconds(Int64(timeout)), first) { [unowned self] first in
            hangup(first, cause: .noAnswer, origin: .dialer)
        }
        if isLocal, let second = first.localPartner {
            let (exten, context) = Self.localTarget(request.resource)
            startDialplan(second, context: context, exten: exten)
        }
        return linkedID
    }

    /// Asterisk's `pbx_dial_reason()`: behind a Local channel only no-answer is told apart.
    static func originateReason(_ cause: HangupCause, throughLocal: Bool) -> Int {
        switch cause {
        case .noAnswer, .answeredElsewhere: return 3
        case .userBusy: return throughLocal ? 0 : 5
        case .callRejected, .destinationOutOfOrder, .congestion, HangupCause(rawValue: 38), .temporaryFailure, .switchCongestion:
            return throughLocal ? 0 : 8
        default: return 0
        }
    }

    /// `100@c2c/n` → ("100", "c2c"); the context defaults to `default`.
    static func localTarget(_ resource: String) -> (exten: String, context: String) {
        let withoutOptions = resource.split(separator: "/").first.map(String.init) ?? resource
        guard let at = withoutOptions.firstIndex(of: "@") else { return (withoutOptions, "default") }
        return (String(withoutOptions[..<at]), String(withoutOptions[withoutOptions.index(after: at)...]))
    }

    private func makeLocalPair(
        _ request: OriginateRequest, tenant: UUID, callerID: CallerID, reserved: (channels: Int, mediaLegs: Int)
    ) -> CallChannel? {
        let (exten, context) = Self.localTarget(request.resource)
        guard dialplans.extensionExists(tenant: tenant, context: context, exten: exten) else { return nil }
        let noOptimisation = request.resource.split(separator: "/").dropFirst().contains { $0.contains("n") }
        let base = "Local/\(exten)@\(context)-\(ids.nextNameSuffix(technology: "Local"))"
        let firstID = request.channelID ?? newUniqueID()
        let secondID = request.otherChannelID ?? (request.channelID.map { "\($0);2" } ?? newUniqueID())
        let first = CallChannel(
            snapshot: PBX.Channel(
                name: "\(base);1", uniqueID: firstID, tenant: tenant, state: .down,
                context: context, exten: exten), technology: .local(half: 1))
        let second = CallChannel(
            snapshot: PBX.Channel(
                name: "\(base);2", uniqueID: secondID, linkedID: firstID, tenant: tenant,
                state: .ring, context: context, exten: exten), technology: .local(half: 2))
        first.localPartner = second
        second.localPartner = first
        holdReservation(reserved, tenant: tenant, linkedID: firstID)
        addChannel(first)
        addChannel(second)
        for variable in request.variables { setVariable(first, variable.name, variable.value) }
        if let account = request.account {
            first.snapshot.accountCode = account
            emit(.channel("NewAccountCode", first.snapshot, extra: [("OldAccountCode", "")]))
        }
        applyCallerID(first, callerID: callerID, connected: callerID, connectedFirst: false)
        // `;1`'s variables cross to `;2`; caller ID and connected line cross over (ast_unreal_call_setup).
        for (name, value) in first.snapshot.variables.entries { setVariable(second, name, value) }
        second.snapshot.accountCode = first.snapshot.accountCode
        applyCallerID(second, callerID: first.snapshot.connectedLine, connected: first.snapshot.callerID)
        emit(
            PBXEvent(
                "LocalBridge",
                fields: first.snapshot.eventFields(prefix: "LocalOne") + second.snapshot.eventFields(prefix: "LocalTwo")
                    + [("Context", context), ("Exten", exten), ("LocalOptimization", noOptimisation ? "No" : "Yes")], tenant: tenant))
        emit(PBXEvent("DialBegin", fields: first.snapshot.eventFields(prefix: "Dest") + [("DialString", request.resource)], tenant: tenant))
        return first
    }

    private func makeDirectSIP(
        _ request: OriginateRequest, tenant: UUID, callerID: CallerID, reserved: (channels: Int, mediaLegs: Int)
    ) -> CallChannel? {
        // A direct `PJSIP/<ext>` originate rings the extension's first registered contact.
        let holder = CallChannel(
            snapshot: PBX.Channel(
                name: "Originate", uniqueID: newUniqueID(), tenant: tenant,
                callerID: callerID, connectedLine: callerID), technology: .pending)
        holder.codec = CallSDP.choose(from: nil)
        guard let channel = makeTargets("PJSIP/\(request.resource)", caller: holder).first else { return nil }
        channel.snapshot.linkedID = channel.snapshot.uniqueID
        holdReservation(reserved, tenant: tenant, linkedID: channel.snapshot.linkedID)
        let dialed = channel.snapshot.callerID
        channel.snapshot.callerID = CallerID()
        channel.snapshot.connectedLine = CallerID()
        addChannel(channel)
        for variable in request.variables { setVariable(channel, variable.name, variable.value) }
        applyCallerID(channel, callerID: dialed, connected: callerID)
        placeOutbound(channel, caller: holder)
        return channel
    }

    /// NewCallerid then NewConnectedLine. The originated channel gets its caller ID before its
    /// connected line (two steps in Asterisk); channels set up from another already carry both.
    func applyCallerID(_ channel: CallChannel, callerID: CallerID, connected: CallerID, connectedFirst: Bool = true) {
        channel.snapshot.callerID = callerID
        if connectedFirst { channel.snapshot.connectedLine = connected }
        emit(.channel("NewCallerid", channel.snapshot, extra: [("CID-CallingPres", "0 (Presentation Allowed, Not Screened)")]))
        channel.snapshot.connectedLine = connected
        emit(.channel("NewConnectedLine", channel.snapshot))
    }

    /// After the originated channel answers: its context/exten/priority, or one application.
    /// `Application:`/`Data:` of an Originate: run that one application, then hang up.
    func runSingleApplication(_ channel: CallChannel, name: String, data: String) {
        channel.singleApplication = .pending(DialplanInstruction(application: name, data: data))
        runDialplan(channel)
    }

    func runOriginateDestination(_ destination: OriginateRequest.Destination, on channel: CallChannel) {
        switch destination {
        case .extensionTarget(let context, let exten, let priority):
            startDialplan(channel, context: context, exten: exten, priority: priority)
        case .application(let name, let data):
            runSingleApplication(channel, name: name, data: data)
        }
    }
}
