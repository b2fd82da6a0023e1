import Foundation
import PBX

/// One call in progress as the admin panel and the REST API list it: the channels of a tenant that
/// share a linkedid, with who called whom and how far the call has come.
package struct CallSummary: Sendable {
    /// The call's linkedid: the uniqueid of its first channel (for a click-to-call, the Local `;1`).
    package var id: String
    /// The calling party: `C2C_SRC` of a click-to-call, else the first channel's caller ID number.
    package var from: String
    /// The called party: `C2C_DST` of a click-to-call, else the extension the first channel dialled.
    package var to: String
    /// `up` once all its channels are answered, `ringing` while one rings, else `dialing`.
    package var state: String
    /// When its first channel was created (seconds since the epoch).
    package var startedAt: Int
    /// Its live channels, oldest first: name and state (`ChannelStateDesc`).
    package var channels: [(name: String, state: String)]
}

/// The tenant's calls, listed and hung up as wholes (REST `/api/v1/calls`, the dashboard's live calls).
extension CallEngine {
    /// At most this many calls are listed per tenant (a tenant's channel limit keeps it far lower).
    static let maximumListedCalls = 1000

    /// The tenant's calls with live channels, oldest first.
    func callSummaries(tenant: UUID) -> [CallSummary] {
        var byCall: [String: [CallChannel]] = [:]
        for channel in channels.values where channel.tenant == tenant && !channel.isGone {
            byCall[channel.snapshot.linkedID, default: []].append(channel)
        }
        let summaries = byCall.map { id, members -> CallSummary in
            let ordered = members.sorted { ($0.createdAt, $0.snapshot.uniqueID) < ($1.createdAt, $1.snapshot.uniqueID) }
            let first = ordered.first { $0.snapshot.uniqueID == id } ?? ordered[0]
            let variable = { (name: String) in ordered.lazy.compactMap { $0.snapshot.variables[name] }.first { !$0.isEmpty } }
            let state: String
            if ordered.allSatisfy({ $0.snapshot.state == .up }) {
                state = "up"
            } else if ordered.contains(where: { $0.snapshot.state == .ringing || $0.snapshot.state == .ring }) {
                state = "ringing"
            } else {
                state = "dialing"
            }
            return CallSummary(
                id: id, from: variable("C2C_SRC") ?? first.snapshot.callerID.number, to: variable("C2C_DST") ?? first.snapshot.exten,
                state: state, startedAt: first.createdAt, channels: ordered.map { ($0.name, $0.snapshot.state.description) })
        }
        return Array(summaries.sorted { ($0.startedAt, $0.id) < ($1.startedAt, $1.id) }.prefix(Self.maximumListedCalls))
    }

    /// Hangs up every live channel of the tenant's call `id` (as an AMI Hangup of each; hanging up one
    /// may end others first); the names of the call's channels, none when the tenant has no such call.
    func hangUpCall(id: String, tenant: UUID, cause: HangupCause) -> [String] {
        let members = channels.values.filter { $0.tenant == tenant && !$0.isGone && $0.snapshot.linkedID == id }
            .sorted { $0.snapshot.uniqueID < $1.snapshot.uniqueID }
        for channel in members where !channel.isGone {
            hangup(channel, cause: cause, origin: .ami)
        }
        return members.map(\.name)
    }
}
