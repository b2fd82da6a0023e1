import AMI
import NIOCore
import PBX

/// The `Filter` action (Asterisk 20's `action_filter()`): adds an event filter for the rest of the session.
///
/// Asterisk requires the `system` write class; here every logged-in user may add filters, because a
/// filter only narrows what its own session receives (docs/ami-compatibility.md). A session holds at
/// most `AMIServerConfiguration.filterLimits.maximumFilters` filters, its user's `eventfilter` list included.
extension AMISessionHandler {
    func filter(_ message: AMIMessage, context: ChannelHandlerContext) {
        guard case .authenticated(let login) = state else { return }
        let actionID = message.actionID
        guard message.value("Operation").equalsIgnoringASCIICase("Add") else {
            send(.error(actionID, message: "Unknown operation"), context: context)
            return
        }
        let limits = server.configuration.filterLimits
        let filter: AMIEventFilter
        do {
            filter = try AMIEventFilter(matchCriteria: message.value("MatchCriteria"), pattern: message.value("Filter"), limits: limits)
        } catch {
            send(.error(actionID, message: error.replyMessage), context: context)
            return
        }
        guard login.subscriber.addEventFilter(filter, limit: limits.maximumFilters) else {
            send(.error(actionID, message: "Too many filters: a session holds at most \(limits.maximumFilters)"), context: context)
            return
        }
        send(.success(actionID, message: "Success"), context: context)
    }
}
