import AMI
import Calls
import Foundation
import PBX

/// Actions another node forwarded to this one, the tenant's home node (docs/cluster.md): run as the
/// AMI user would run them in a session here, with the same checks; the response's fields come back
/// (without ActionID: the origin session echoes its own). Originate, Hangup (of one channel) and
/// Redirect are forwarded; an `OriginateResponse` reaches the origin node's sessions over the cluster's event bus.
public enum AMIForwardedActions {
    public static func run(
        headers: [(String, String)], tenant: UUID, username: String, directory: AMIDirectory, calls: CallControl, bus: AMIEventBus,
        variableLimits: ChannelVariables.Limits
    ) async -> [(String, String)] {
        let message = AMIMessage(headers: headers.map { AMIMessage.Header(name: $0.0, value: $0.1) })
        func error(_ text: String) -> [(String, String)] { [("Response", "Error"), ("Message", text)] }
        guard let entry = directory.entry(for: username), entry.account.enabled, entry.account.tenant == tenant else {
            return error("Permission denied")
        }
        guard let descriptor = AMIActionCatalog.standard.descriptor(named: message.value("Action")),
            ["Originate", "Hangup", "Redirect"].contains(descriptor.name)
        else { return error("Action \(message.value("Action")) is not forwarded") }
        guard descriptor.isPermitted(for: entry.write) else { return error("Permission denied") }
        // Only the home node runs the tenant's calls: never forwarded twice.
        if let home = calls.homes.homeElsewhere(tenant) { return error("Tenant homed on node \(home)") }
        if descriptor.name == "Hangup" { return await hangup(message, tenant: tenant, calls: calls) }
        if descriptor.name == "Redirect" { return await redirect(message, tenant: tenant, calls: calls) }
        var request: OriginateRequest
        do {
            request = try OriginateRequest.parse(message, writePermissions: entry.write) { context, exten, label in
                calls.label(tenant: tenant, context: context, exten: exten, label: label)
            }
        } catch {
            return [("Response", "Error"), ("Message", error.message)]
        }
        if let refusal = AMISessionHandler.variableRefusal(request.variables, limits: variableLimits) { return error(refusal) }
        if let refusal = TenantScope.refusal(for: &request, tenant: tenant) { return error(refusal) }
        if case .extensionTarget(let dialContext, let exten, let priority) = request.destination,
            !dialContext.isEmpty, !exten.isEmpty, !message.value("Priority").isEmpty,
            !calls.extensionExists(tenant: tenant, context: dialContext, exten: exten, priority: priority)
        {
            return error("Extension does not exist.")
        }
        if let refusal = calls.admitOriginate(request, tenant: tenant) { return error("Originate refused: \(refusal)") }
        let accepted = DispatchTime.now()
        if request.async {
            let finished = request
            calls.originate(finished, tenant: tenant) { outcome in
                AMIMetrics.originateFinished(since: accepted, answered: outcome.success)
                bus.publish(AMISessionHandler.originateResponse(finished, outcome: outcome), tenant: tenant)
            }
            return [("Response", "Success"), ("Message", "Originate successfully queued")]
        }
        let outcome = await withCheckedContinuation { continuation in
            calls.originate(request, tenant: tenant) { continuation.resume(returning: $0) }
        }
        AMIMetrics.originateFinished(since: accepted, answered: outcome.success)
        return outcome.success ? [("Response", "Success"), ("Message", "Originate successfully queued")] : error("Originate failed")
    }

    /// `Hangup` of one channel by name or uniqueid (a `/regex/` one is not forwarded).
    static func hangup(_ message: AMIMessage, tenant: UUID, calls: CallControl) async -> [(String, String)] {
        let target = message.value("Channel")
        guard !target.isEmpty, !target.hasPrefix("/") else { return [("Response", "Error"), ("Message", "No channel specified")] }
        let causeValue = Int(message.value("Cause")).flatMap { (0...127).contains($0) ? $0 : nil }
        let cause = causeValue.map(HangupCause.init(rawValue:)) ?? .normalClearing
        let name = await withCheckedContinuation { continuation in
            calls.hangup(channel: target, tenant: tenant, cause: cause) { continuation.resume(returning: $0) }
        }
        return name == nil ? [("Response", "Error"), ("Message", "No such channel")] : [("Response", "Success"), ("Message", "Channel Hungup")]
    }

    /// `Redirect` (and dual Redirect), with the checks of a session's.
    static func redirect(_ message: AMIMessage, tenant: UUID, calls: CallControl) async -> [(String, String)] {
        let plan: AMISessionHandler.RedirectPlan
        switch AMISessionHandler.redirectPlan(message, tenant: tenant) {
        case .failure(let refusal): return [("Response", "Error"), ("Message", refusal.message)]
        case .success(let checked): plan = checked
        }
        let result = await withCheckedContinuation { continuation in
            calls.redirect(channel: plan.channel, to: plan.target, extra: plan.extra, tenant: tenant) { continuation.resume(returning: $0) }
        }
        let reply = AMISessionHandler.redirectReply(result, plan: plan)
        return [("Response", reply.success ? "Success" : "Error"), ("Message", reply.message)]
    }

    /// The response a forwarded action's fields make, for the origin session's ActionID.
    public static func response(_ fields: [(String, String)], actionID: String) -> AMIResponse {
        let status: AMIResponse.Status = fields.first { $0.0 == "Response" }?.1 == "Success" ? .success : .error
        return AMIResponse(status, actionID: actionID, fields: fields.filter { $0.0 != "Response" && $0.0 != "ActionID" })
    }
}
