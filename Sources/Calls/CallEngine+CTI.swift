import Foundation
import NIOCore
import PBX
import SIPServer

/// A channel as list actions report it.
package struct ChannelReport: Sendable {
    package var snapshot: PBX.Channel
    package var application: String
    package var applicationData: String
    package var bridgeID: String
    package var secondsUp: Int
    package var variables: [(String, String)]
}

/// What the AMI CTI actions read and do, always within one tenant.
extension CallEngine {
    /// Calls of the tenant with live channels (each call's legs share one Linkedid).
    func activeCalls(tenant: UUID) -> Int {
        Set(channels.values.filter { $0.tenant == tenant && !$0.isGone }.map(\.snapshot.linkedID)).count
    }

    func channelReports(tenant: UUID) -> [ChannelReport] {
        channels.values.filter { $0.tenant == tenant && !$0.isGone }
            .sorted { $0.snapshot.uniqueID < $1.snapshot.uniqueID }
            .map { channel in
                let (application, data) = currentApplication(channel)
                return ChannelReport(
                    snapshot: channel.snapshot, application: application, applicationData: data,
                    bridgeID: channel.bridge?.id ?? "", secondsUp: Int(Date().timeIntervalSince1970) - channel.createdAt,
                    variables: channel.snapshot.variables.entries.map { ($0.name, $0.value) })
            }
    }

    func currentApplication(_ channel: CallChannel) -> (String, String) {
        if channel.dialedBy != nil { return ("AppDial", "(Outgoing Line)") }
        if channel.bridge != nil, channel.execution == nil, channel.application == nil { return ("AppDial", "(Outgoing Line)") }
        return channel.application.map { ($0.name, $0.data) } ?? ("", "")
    }

    /// Finds a live channel of the tenant by name or uniqueid.
    func findChannel(_ nameOrID: String, tenant: UUID) -> CallChannel? {
        if let channel = channels[nameOrID], channel.tenant == tenant, !channel.isGone { return channel }
        return channels.values.first { $0.tenant == tenant && !$0.isGone && $0.snapshot.name == nameOrID }
    }

    /// AMI Hangup of one channel by name or uniqueid; its name, or nil when there is none.
    func hangup(named nameOrID: String, tenant: UUID, cause: HangupCause) -> String? {
        guard let channel = findChannel(nameOrID, tenant: tenant) else { return nil }
        // An AMI hangup raises no SoftHangupRequest for the channel itself (as Asterisk).
        hangup(channel, cause: cause, origin: .ami)
        return channel.name
    }

    /// The tenant's live channels as (uniqueid, name): a `Hangup Channel: /regex/` is matched
    /// against them away from this loop (peer-supplied patterns never run on the engine).
    func liveChannelNames(tenant: UUID) -> [(uniqueID: String, name: String)] {
        channels.values.filter { $0.tenant == tenant && !$0.isGone }
            .sorted { $0.snapshot.uniqueID < $1.snapshot.uniqueID }
            .map { ($0.snapshot.uniqueID, $0.name) }
    }

    /// Hangs up the tenant's channels with these uniqueids that are still live; returns their names.
    func hangup(uniqueIDs: [String], tenant: UUID, cause: HangupCause) -> [String] {
        let targets = uniqueIDs.compactMap { id in channels[id].flatMap { $0.tenant == tenant && !$0.isGone ? $0 : nil } }
        for channel in targets where !channel.isGone {
            hangup(channel, cause: cause, origin: .ami)
        }
        return targets.map(\.name)
    }

    /// AMI Redirect: the channel leaves whatever it does and runs `context,exten,priority`.
    func redirect(_ channel: CallChannel, context: String, exten: String, priority: Int) -> Bool {
        guard let dialplan = dialplans.dialplan(for: channel.tenant), dialplan.exists(context: context, exten: exten, priority: priority) else {
            return false
        }
        if let dial = channel.dial { abandonDial(dial, cause: .normalClearing, requestTargets: false) }
        if let bridge = channel.bridge { leaveBridge(channel, bridge) }
        channel.dialedBy = nil
        startDialplan(channel, context: context, exten: exten, priority: priority)
        return true
    }

    /// AMI Redirect with ExtraChannel: both channels leave whatever they do (their shared bridge is
    /// dissolved without hanging either up) and each runs its own destination. Nil when one destination
    /// does not exist (nothing is changed then).
    func redirect(_ first: CallChannel, to a: (String, String, Int), extra second: CallChannel, to b: (String, String, Int)) -> Bool {
        guard let dialplan = dialplans.dialplan(for: first.tenant),
            dialplan.exists(context: a.0, exten: a.1, priority: a.2), dialplan.exists(context: b.0, exten: b.1, priority: b.2)
        else {
            return false
        }
        for channel in [first, second] {
            if let dial = channel.dial { abandonDial(dial, cause: .normalClearing, requestTargets: false) }
            if let bridge = channel.bridge {
                for member in bridge.channels {
                    member.bridge = nil
                    member.media?.unbridge()
                    emit(PBXEvent("BridgeLeave", fields: bridgeFields(bridge) + member.snapshot.eventFields(), tenant: member.tenant))
                }
                let others = bridge.channels.filter { $0 !== first && $0 !== second }
                bridge.channels.removeAll()
                emit(PBXEvent("BridgeDestroy", fields: bridgeFields(bridge), tenant: channel.tenant))
                others.forEach(continueAfterBridge)
            }
            channel.dialedBy = nil
        }
        startDialplan(first, context: a.0, exten: a.1, priority: a.2)
        startDialplan(second, context: b.0, exten: b.1, priority: b.2)
        return true
    }

    /// AMI BlindTransfer: the channel's bridge peer goes to `exten@context` (default: the channel's
    /// context) and the channel itself hangs up.
    func blindTransfer(_ channel: CallChannel, exten: String, context: String?) -> Bool {
        guard let peer = channel.bridge?.channels.first(where: { $0 !== channel }) else { return false }
        let target = context ?? (channel.snapshot.context.isEmpty ? "internal" : channel.snapshot.context)
        let transferer = channel.snapshot
        let transferee = peer.snapshot
        guard redirect(peer, context: target, exten: exten, priority: 1) else { return false }
        emit(
            PBXEvent(
                "BlindTransfer",
                fields: [("Result", "Success")] + transferer.eventFields(prefix: "Transferer")
                    + transferee.eventFields(prefix: "Transferee")
                    + [("IsExternal", "No"), ("Context", target), ("Extension", exten)], tenant: channel.tenant))
        hangup(channel, cause: .normalClearing, origin: .dialplan)
        return true
    }

    /// Registered contacts of the tenant's extensions: (extension, contact URI, source, expires in, user agent).
    func contacts(tenant: UUID) -> [(number: String, contact: String, source: String, expiresIn: UInt64, userAgent: String)] {
        let now = SIPClock.wallSeconds()
        return directory.configuration(of: tenant).extensions.flatMap { stored in
            sip.bindings(tenant: tenant, number: stored.number).map {
                (stored.number, $0.contact.uri.description, $0.source, $0.remaining(at: now), $0.userAgent ?? "")
            }
        }
    }
}
