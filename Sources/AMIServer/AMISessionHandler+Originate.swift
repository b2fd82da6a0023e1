import AMI
import Calls
import Foundation
import NIOCore
import PBX

/// `Action: Originate`: Asterisk's checks and replies, Centralino's tenant rules, async with an
/// `OriginateResponse` event or sync holding the session until the call answers or fails.
extension AMISessionHandler {
    func originate(_ message: AMIMessage, context: ChannelHandlerContext) {
        guard case .authenticated(let login) = state else { return }
        let actionID = message.actionID
        guard let calls = server.calls else {
            send(.error(actionID, message: "Originate is not available: this node runs no call engine"), context: context)
            return
        }
        let tenant = login.entry.account.tenant
        var request: OriginateRequest
        do {
            request = try OriginateRequest.parse(message, writePermissions: login.entry.write) { context, exten, label in
                calls.label(tenant: tenant, context: context, exten: exten, label: label)
            }
        } catch {
            send(.error(actionID, message: error.message), context: context)
            return
        }
        if let refusal = Self.variableRefusal(request.variables, limits: server.configuration.variableLimits) {
            server.observer?.originate(result: "refused")
            send(.error(actionID, message: refusal), context: context)
            return
        }
        if let refusal = TenantScope.refusal(for: &request, tenant: tenant) {
            server.logger.warning(
                "Originate refused: another tenant named", metadata: ["user": "\(login.entry.account.username)", "reason": "\(refusal)"])
            raiseSecurity(.requestNotAllowed, details: [("RequestType", "Action: Originate")])
            server.observer?.originate(result: "refused")
            send(.error(actionID, message: refusal), context: context)
            return
        }
        if case .extensionTarget(let dialContext, let exten, let priority) = request.destination,
            !dialContext.isEmpty, !exten.isEmpty, !message.value("Priority").isEmpty,
            !calls.extensionExists(tenant: tenant, context: dialContext, exten: exten, priority: priority)
        {
            send(.error(actionID, message: "Extension does not exist."), context: context)
            return
        }
        // In a cluster a tenant's calls run on its home node only (docs/cluster.md).
        if forwardedToHome(message, context: context) { return }
        // The tenant's capacity (channels, RTP port pairs, originate rate): refused at once, even when async.
        if let refusal = calls.admitOriginate(request, tenant: tenant) {
            server.observer?.originate(result: "limited")
            send(.error(actionID, message: "Originate refused: \(refusal)"), context: context)
            return
        }
        let accepted = DispatchTime.now()
        if request.async {
            send(.success(actionID, message: "Originate successfully queued"), context: context)
            let bus = server.bus
            let observer = server.observer
            let finished = request
            let completion: @Sendable (OriginateOutcome) -> Void = { outcome in
                AMIMetrics.originateFinished(since: accepted, answered: outcome.success)
                observer?.originate(result: outcome.success ? "answered" : "failed")
                bus.publish(Self.originateResponse(finished, outcome: outcome), tenant: tenant)
            }
            // Counted until the engine has started it (backpressure); only a start that unblocks the
            // session comes back to its loop.
            pendingActions.add()
            let pending = pendingActions
            let limit = server.configuration.maximumPendingActions
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            let loop = context.eventLoop
            calls.originate(
                finished, tenant: tenant,
                started: {
                    guard pending.started(limit: limit) else { return }
                    loop.execute {
                        let (handler, context) = bound.value
                        handler.resumeIfUnblocked(context: context)
                    }
                }, completion: completion)
            return
        }
        // Synchronous: the session waits, as Asterisk's session thread blocks in the originate.
        inFlight = true
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let loop = context.eventLoop
        let observer = server.observer
        calls.originate(request, tenant: tenant) { outcome in
            AMIMetrics.originateFinished(since: accepted, answered: outcome.success)
            observer?.originate(result: outcome.success ? "answered" : "failed")
            loop.execute {
                let (handler, context) = bound.value
                handler.send(
                    outcome.success
                        ? .success(actionID, message: "Originate successfully queued")
                        : .error(actionID, message: "Originate failed"), context: context)
                handler.resumeAfterAction(context: context)
            }
        }
    }

    /// Why the variables of an Originate cannot all be set on a channel, or nil.
    static func variableRefusal(_ variables: [OriginateRequest.VariablePair], limits: ChannelVariables.Limits) -> String? {
        var names = Set<String>()
        for variable in variables {
            if let refusal = limits.refusal(name: variable.name, value: variable.value) {
                return "Originate refused: \(refusal)"
            }
            names.insert(ChannelVariables.baseName(variable.name))
        }
        guard names.count <= limits.maximumRequested else {
            return "Originate refused: \(names.count) variables, at most \(limits.maximumRequested) per channel"
        }
        return nil
    }

    /// The event an async Originate ends with (ActionID first, no channel block).
    static func originateResponse(_ request: OriginateRequest, outcome: OriginateOutcome) -> AMIEvent {
        var fields: [(String, String)] = []
        if !request.actionID.isEmpty { fields.append(("ActionID", request.actionID)) }
        fields.append(("Response", outcome.success ? "Success" : "Failure"))
        fields.append(("Channel", outcome.channel))
        switch request.destination {
        case .extensionTarget(let context, let exten, _):
            fields += [("Context", context), ("Exten", exten)]
        case .application(let name, let data):
            fields += [("Application", name), ("Data", data)]
        }
        fields.append(("Reason", String(outcome.reason)))
        fields.append(("Uniqueid", outcome.uniqueID))
        let callerID = request.callerID.map(CallerID.init(parsing:)) ?? CallerID()
        fields.append(("CallerIDNum", callerID.number.isEmpty ? "<unknown>" : callerID.number))
        fields.append(("CallerIDName", callerID.name.isEmpty ? "<unknown>" : callerID.name))
        return AMIEvent("OriginateResponse", classes: .call, fields: fields)
    }
}
