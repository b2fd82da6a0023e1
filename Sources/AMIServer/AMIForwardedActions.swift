import AMI
import Calls
import Foundation
import NIOCore
import PBX

/// One event of a list-style response (name, then its fields in order, ActionID included).
public struct AMIListEvent: Sendable {
    public var name: String
    public var fields: [(String, String)]

    public init(name: String, fields: [(String, String)]) {
        self.name = name
        self.fields = fields
    }
}

/// An action's reply: the response, then the events of a list (Status, CoreShowChannels, a /regex/ Hangup).
public struct AMIListReply: Sendable {
    public var response: AMIResponse
    public var events: [AMIListEvent]

    public init(response: AMIResponse, events: [AMIListEvent] = []) {
        self.response = response
        self.events = events
    }

    /// The response's fields with `Response` first and no ActionID (the origin session echoes its own).
    public var responseFields: [(String, String)] { [("Response", response.status.rawValue)] + response.fields }
}

/// Actions another node forwarded to this one, the tenant's home node (docs/cluster.md): run as the
/// AMI user would run them in a session here, with the same checks and the same replies. The action's
/// ActionID is the origin session's, so list events carry it; an `OriginateResponse` reaches the
/// origin node's sessions over the cluster's event bus.
public enum AMIForwardedActions {
    /// The actions a node forwards to a tenant's home node: those that touch the tenant's calls, and
    /// the views of its devices and registrations (the home node's registrar and device states).
    public static let forwarded: Set<String> = [
        "Originate", "Hangup", "Redirect", "Setvar", "Getvar", "BlindTransfer", "Status", "CoreShowChannels",
        "ExtensionState", "ExtensionStateList", "DeviceStateList", "PJSIPShowEndpoints", "PJSIPShowContacts",
    ]

    /// What the home node runs forwarded actions with: the AMI server's directory, bus, call engine,
    /// limits and pattern worker.
    public struct Host: Sendable {
        let context: AMIServerContext
        let calls: CallControl

        public init?(server: AMIServer) {
            guard let calls = server.context.calls else { return nil }
            self.context = server.context
            self.calls = calls
        }
    }

    /// Runs a forwarded action of `username` of `tenant`. `connection`: the control connection it came
    /// on (a /regex/ Hangup's pattern job is dropped when it closes).
    public static func run(
        headers: [(String, String)], tenant: UUID, username: String, host: Host, connection: any NIOCore.Channel
    ) async -> AMIListReply {
        let message = AMIMessage(headers: headers.map { AMIMessage.Header(name: $0.0, value: $0.1) })
        let id = message.actionID
        let calls = host.calls
        func refuse(_ text: String) -> AMIListReply { AMIListReply(response: .error(id, message: text)) }
        guard let entry = host.context.directory.entry(for: username), entry.account.enabled, entry.account.tenant == tenant else {
            return refuse("Permission denied")
        }
        guard let descriptor = host.context.catalog.descriptor(named: message.value("Action")), forwarded.contains(descriptor.name)
        else { return refuse("Action \(message.value("Action")) is not forwarded") }
        guard descriptor.isPermitted(for: entry.write) else { return refuse("Permission denied") }
        // Only the home node runs the tenant's calls: never forwarded twice.
        if let home = calls.homes.homeElsewhere(tenant) { return refuse("Tenant homed on node \(home)") }
        let system = entry.write.contains(.system)
        switch descriptor.name {
        case "Hangup": return await hangup(message, tenant: tenant, host: host, connection: connection)
        case "Redirect": return await redirect(message, tenant: tenant, calls: calls)
        case "Setvar":
            let limits = host.context.configuration.variableLimits
            if let refusal = AMISessionHandler.setvarRefusal(message, limits: limits) { return refuse(refusal) }
            let result = await withCheckedContinuation { continuation in
                calls.setVariable(
                    message.value("Variable"), value: message.value("Value"), channel: message.value("Channel"), tenant: tenant
                ) { continuation.resume(returning: $0) }
            }
            return AMIListReply(response: AMISessionHandler.setvarReply(result, limits: limits, actionID: id))
        case "Getvar":
            if let refusal = AMISessionHandler.getvarRefusal(message, system: system) { return refuse(refusal) }
            let variable = message.value("Variable")
            let result = await withCheckedContinuation { continuation in
                calls.variable(variable, channel: message.value("Channel"), tenant: tenant) { continuation.resume(returning: $0) }
            }
            return AMIListReply(response: AMISessionHandler.getvarReply(result, variable: variable, actionID: id))
        case "BlindTransfer":
            if let refusal = AMISessionHandler.blindTransferRefusal(message, tenant: tenant) { return refuse(refusal) }
            let dialContext = message["Context"].flatMap { $0.isEmpty ? nil : $0 }
            let result = await withCheckedContinuation { continuation in
                calls.blindTransfer(channel: message.value("Channel"), exten: message.value("Exten"), context: dialContext, tenant: tenant) {
                    continuation.resume(returning: $0)
                }
            }
            return AMIListReply(response: AMISessionHandler.blindTransferReply(result, actionID: id))
        case "Status":
            let names: [String]
            switch AMISessionHandler.statusVariables(message, system: system) {
            case .failure(let refusal): return refuse(refusal.message)
            case .success(let checked): names = checked
            }
            let reports = await withCheckedContinuation { continuation in
                calls.channelReports(tenant: tenant) { continuation.resume(returning: $0) }
            }
            return AMISessionHandler.statusReply(reports, wanted: message.value("Channel"), variables: names, actionID: id)
        case "CoreShowChannels":
            let reports = await withCheckedContinuation { continuation in
                calls.channelReports(tenant: tenant) { continuation.resume(returning: $0) }
            }
            return AMISessionHandler.coreShowChannelsReply(reports, actionID: id)
        case "ExtensionState":
            if let refusal = AMISessionHandler.extensionStateRefusal(message) { return refuse(refusal) }
            let state = await withCheckedContinuation { continuation in
                calls.deviceState(extension: message.value("Exten"), tenant: tenant) { continuation.resume(returning: $0) }
            }
            return AMIListReply(response: AMISessionHandler.extensionStateReply(state, message: message))
        case "ExtensionStateList", "DeviceStateList", "PJSIPShowEndpoints", "PJSIPShowContacts":
            let endpoints = await withCheckedContinuation { continuation in
                calls.endpoints(tenant: tenant) { continuation.resume(returning: $0) }
            }
            switch descriptor.name {
            case "PJSIPShowEndpoints", "PJSIPShowContacts":
                return AMISessionHandler.endpointsReply(endpoints, contacts: descriptor.name == "PJSIPShowContacts", actionID: id)
            default:
                return AMISessionHandler.extensionStateListReply(endpoints, devices: descriptor.name == "DeviceStateList", actionID: id)
            }
        default:
            return await originate(message, entry: entry, tenant: tenant, host: host)
        }
    }

    static func originate(_ message: AMIMessage, entry: AMIDirectory.Entry, tenant: UUID, host: Host) async -> AMIListReply {
        let id = message.actionID
        let calls = host.calls
        let bus = host.context.bus
        func refuse(_ text: String) -> AMIListReply { AMIListReply(response: .error(id, message: text)) }
        var request: OriginateRequest
        do {
            request = try OriginateRequest.parse(message, writePermissions: entry.write) { context, exten, label in
                calls.label(tenant: tenant, context: context, exten: exten, label: label)
            }
        } catch {
            return refuse(error.message)
        }
        if let refusal = AMISessionHandler.variableRefusal(request.variables, limits: host.context.configuration.variableLimits) {
            return refuse(refusal)
        }
        if let refusal = TenantScope.refusal(for: &request, tenant: tenant) { return refuse(refusal) }
        if case .extensionTarget(let dialContext, let exten, let priority) = request.destination,
            !dialContext.isEmpty, !exten.isEmpty, !message.value("Priority").isEmpty,
            !calls.extensionExists(tenant: tenant, context: dialContext, exten: exten, priority: priority)
        {
            return refuse("Extension does not exist.")
        }
        if let refusal = calls.admitOriginate(request, tenant: tenant) { return refuse("Originate refused: \(refusal)") }
        let accepted = DispatchTime.now()
        if request.async {
            let finished = request
            calls.originate(finished, tenant: tenant) { outcome in
                AMIMetrics.originateFinished(since: accepted, answered: outcome.success)
                bus.publish(AMISessionHandler.originateResponse(finished, outcome: outcome), tenant: tenant)
            }
            return AMIListReply(response: .success(id, message: "Originate successfully queued"))
        }
        let outcome = await withCheckedContinuation { continuation in
            calls.originate(request, tenant: tenant) { continuation.resume(returning: $0) }
        }
        AMIMetrics.originateFinished(since: accepted, answered: outcome.success)
        return outcome.success ? AMIListReply(response: .success(id, message: "Originate successfully queued")) : refuse("Originate failed")
    }

    /// `Hangup` of one channel by name or uniqueid, or of the channels a `/regex/` matches (on the AMI
    /// pattern worker, in turn with the sessions' patterns).
    static func hangup(_ message: AMIMessage, tenant: UUID, host: Host, connection: any NIOCore.Channel) async -> AMIListReply {
        let id = message.actionID
        let calls = host.calls
        let target = message.value("Channel")
        guard !target.isEmpty else { return AMIListReply(response: .error(id, message: "No channel specified")) }
        let causeValue = Int(message.value("Cause")).flatMap { (0...127).contains($0) ? $0 : nil }
        let cause = causeValue.map(HangupCause.init(rawValue:)) ?? .normalClearing
        guard target.hasPrefix("/") else {
            let name = await withCheckedContinuation { continuation in
                calls.hangup(channel: target, tenant: tenant, cause: cause) { continuation.resume(returning: $0) }
            }
            return AMIListReply(response: name == nil ? .error(id, message: "No such channel") : .success(id, message: "Channel Hungup"))
        }
        guard target.count >= 2, target.hasSuffix("/"),
            let regex = try? LinearRegex(String(target.dropFirst().dropLast()), limits: host.context.configuration.regexLimits)
        else {
            return AMIListReply(response: .error(id, message: "Regex compile failed on: \(target)"))
        }
        let channels = await withCheckedContinuation { continuation in
            calls.liveChannelNames(tenant: tenant) { continuation.resume(returning: $0) }
        }
        let uniqueIDs = (try? await host.context.patternWorker.match(regex, channels, channel: connection).get()) ?? []
        let names = await withCheckedContinuation { continuation in
            calls.hangup(uniqueIDs: uniqueIDs, tenant: tenant, cause: cause) { continuation.resume(returning: $0) }
        }
        return AMISessionHandler.regexHangupReply(names, actionID: id)
    }

    /// `Redirect` (and dual Redirect), with the checks of a session's.
    static func redirect(_ message: AMIMessage, tenant: UUID, calls: CallControl) async -> AMIListReply {
        let id = message.actionID
        let plan: AMISessionHandler.RedirectPlan
        switch AMISessionHandler.redirectPlan(message, tenant: tenant) {
        case .failure(let refusal): return AMIListReply(response: .error(id, message: refusal.message))
        case .success(let checked): plan = checked
        }
        let result = await withCheckedContinuation { continuation in
            calls.redirect(channel: plan.channel, to: plan.target, extra: plan.extra, tenant: tenant) { continuation.resume(returning: $0) }
        }
        let reply = AMISessionHandler.redirectReply(result, plan: plan)
        return AMIListReply(response: reply.success ? .success(id, message: reply.message) : .error(id, message: reply.message))
    }

    /// The response a forwarded action's fields make, for the origin session's ActionID.
    public static func response(_ fields: [(String, String)], actionID: String) -> AMIResponse {
        let status: AMIResponse.Status = fields.first { $0.0 == "Response" }?.1 == "Success" ? .success : .error
        return AMIResponse(status, actionID: actionID, fields: fields.filter { $0.0 != "Response" && $0.0 != "ActionID" })
    }
}
