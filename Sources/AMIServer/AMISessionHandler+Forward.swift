import AMI
import Calls
import Foundation
import NIOCore

/// In a cluster (docs/cluster.md): an action that touches the calls of a tenant homed on another node
/// is forwarded to that node (`--cluster-bind`); its response is this action's reply. The session
/// waits for it as for a sync Originate.
extension AMISessionHandler {
    /// Forwards `message` when the session's tenant is homed on another node that takes forwarded
    /// actions; true when it did (the reply will follow). When the home node takes none, the action
    /// is refused naming it, also true. False: the tenant's calls run here.
    func forwardedToHome(_ message: AMIMessage, context: ChannelHandlerContext) -> Bool {
        guard case .authenticated(let login) = state, let calls = server.calls else { return false }
        let tenant = login.entry.account.tenant
        guard let home = calls.homes.homeElsewhere(tenant) else { return false }
        let actionID = message.actionID
        inFlight = true
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let loop = context.eventLoop
        let forwarded = calls.homes.forward(
            home: home, tenant: tenant, username: login.entry.account.username, headers: message.headers.map { ($0.name, $0.value) }
        ) { reply in
            loop.execute {
                let (handler, context) = bound.value
                handler.sendForwarded(reply, actionID: actionID, home: home, context: context)
                handler.resumeAfterAction(context: context)
            }
        }
        if forwarded { return true }
        inFlight = false
        if message.value("Action").lowercased() == "originate" { server.observer?.originate(result: "refused") }
        send(.error(actionID, message: "Tenant homed on node \(home)"), context: context)
        return true
    }

    /// The home node's answer as this session's reply: the response, then a list's events as the
    /// home node wrote them (the ActionID in them is this session's: the action carried it).
    func sendForwarded(_ reply: CallHomeGate.ForwardedReply, actionID: String, home: String, context: ChannelHandlerContext) {
        switch reply {
        case .timedOut:
            send(.error(actionID, message: "Forwarded action timed out"), context: context)
        case .unanswered:
            send(.error(actionID, message: "Tenant homed on node \(home), which did not answer"), context: context)
        case .answered(let fields, let events):
            send(AMIForwardedActions.response(fields, actionID: actionID), context: context)
            guard !events.isEmpty else { return }
            var buffer = context.channel.allocator.buffer(capacity: 256 * events.count)
            for event in events {
                guard let first = event.first, first.0 == "Event" else { continue }
                AMIEvent.writeListItem(first.1, fields: Array(event.dropFirst()), to: &buffer)
            }
            context.write(wrapOutboundOut(buffer), promise: nil)
        }
    }
}
