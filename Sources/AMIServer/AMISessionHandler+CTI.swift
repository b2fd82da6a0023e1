import AMI
import Calls
import Foundation
import NIOCore
import NIOPosix
import PBX

/// CTI actions over the call engine, each scoped to the user's tenant, with Asterisk's replies.
extension AMISessionHandler {
    /// Asks the call engine through `request` (one `CallControl` method, for the user's tenant), then
    /// hands the answer to `respond` here; the session waits meanwhile.
    func withCalls<T: Sendable>(
        _ context: ChannelHandlerContext,
        _ request: (CallControl, UUID, @escaping @Sendable (T) -> Void) -> Void,
        respond: @escaping (AMISessionHandler, ChannelHandlerContext, T) -> Void
    ) {
        guard case .authenticated(let login) = state, let calls = server.calls else {
            send(.error("", message: "No call engine"), context: context)
            return
        }
        let tenant = login.entry.account.tenant
        inFlight = true
        let bound = NIOLoopBound((self, context, respond), eventLoop: context.eventLoop)
        let loop = context.eventLoop
        request(calls, tenant) { result in
            loop.execute {
                let (handler, context, respond) = bound.value
                handler.inFlight = false
                respond(handler, context, result)
                // `respond` may start the next step of the same action (which sets inFlight again).
                if !handler.inFlight { handler.resumeAfterAction(context: context) }
            }
        }
    }

    /// Writes list items (ActionID right after `Event:`, or last when `actionIDLast`) and the completion event.
    func writeList(
        _ name: String, actionID: String, items: [[(String, String)]], complete: String,
        extra: [(String, String)] = [], actionIDLast: Bool = false, context: ChannelHandlerContext
    ) {
        writeEvents(
            Self.listEvents(name, actionID: actionID, items: items, complete: complete, extra: extra, actionIDLast: actionIDLast),
            context: context)
    }

    /// Writes list events (name, fields) as they are.
    func writeEvents(_ events: [AMIListEvent], context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: 256 * (events.count + 1))
        for event in events { AMIEvent.writeListItem(event.name, fields: event.fields, to: &buffer) }
        context.write(wrapOutboundOut(buffer), promise: nil)
    }

    /// A reply with its list events: written here by a session, sent back by a home node.
    func send(_ reply: AMIListReply, context: ChannelHandlerContext) {
        send(reply.response, context: context)
        if !reply.events.isEmpty { writeEvents(reply.events, context: context) }
    }

    /// List items (ActionID right after `Event:`, or last when `actionIDLast`) and the completion event.
    static func listEvents(
        _ name: String, actionID: String, items: [[(String, String)]], complete: String,
        extra: [(String, String)] = [], actionIDLast: Bool = false
    ) -> [AMIListEvent] {
        let id: [(String, String)] = actionID.isEmpty ? [] : [("ActionID", actionID)]
        var events = items.map { item in AMIListEvent(name: name, fields: actionIDLast ? item + id : id + item) }
        events.append(AMIListEvent(name: complete, fields: id + [("EventList", "Complete"), ("ListItems", String(items.count))] + extra))
        return events
    }

    func amiHangup(_ message: AMIMessage, context: ChannelHandlerContext) {
        let id = message.actionID
        let target = message.value("Channel")
        guard !target.isEmpty else { return send(.error(id, message: "No channel specified"), context: context) }
        // A channel of a tenant homed on another node runs there (a /regex/ one once its pattern compiled).
        if !target.hasPrefix("/"), forwardedToHome(message, context: context) { return }
        let causeValue = Int(message.value("Cause")).flatMap { (0...127).contains($0) ? $0 : nil }
        let cause = causeValue.map(HangupCause.init(rawValue:)) ?? .normalClearing
        guard target.hasPrefix("/") else {
            withCalls(context, { $0.hangup(channel: target, tenant: $1, cause: cause, completion: $2) }) { handler, context, name in
                handler.send(name == nil ? .error(id, message: "No such channel") : .success(id, message: "Channel Hungup"), context: context)
            }
            return
        }
        // `/regex/` (manager.c `action_hangup()`), matched by LinearRegex in bounded linear time.
        guard target.count >= 2, target.hasSuffix("/") else {
            return send(.error(id, message: "Regex format invalid, Channel param should be /regex/"), context: context)
        }
        let regex: LinearRegex
        do {
            regex = try LinearRegex(String(target.dropFirst().dropLast()), limits: server.configuration.regexLimits)
        } catch {
            server.logger.info("AMI Hangup regex refused", metadata: ["remote": "\(remoteIP)", "reason": "\(error.reason)"])
            return send(.error(id, message: "Regex compile failed on: \(target)"), context: context)
        }
        if forwardedToHome(message, context: context) { return }
        withCalls(context, { $0.liveChannelNames(tenant: $1, completion: $2) }) { handler, context, channels in
            handler.matchOffLoop(regex, channels, context: context) { handler, context, uniqueIDs in
                handler.withCalls(context, { $0.hangup(uniqueIDs: uniqueIDs, tenant: $1, cause: cause, completion: $2) }) { handler, context, names in
                    handler.send(Self.regexHangupReply(names, actionID: id), context: context)
                }
            }
        }
    }

    /// Matches `regex` against the channel names on the AMI pattern worker (never on an event loop, in
    /// turn with other sessions' patterns), then hands the matching uniqueids to `then` here. The session
    /// waits meanwhile.
    func matchOffLoop(
        _ regex: LinearRegex, _ channels: [(uniqueID: String, name: String)], context: ChannelHandlerContext,
        then: @escaping (AMISessionHandler, ChannelHandlerContext, [String]) -> Void
    ) {
        inFlight = true
        let bound = NIOLoopBound((self, context, then), eventLoop: context.eventLoop)
        server.patternWorker.match(regex, channels, channel: context.channel).whenComplete { result in
            let (handler, context, then) = bound.value
            handler.inFlight = false
            then(handler, context, (try? result.get()) ?? [])
            if !handler.inFlight { handler.resumeAfterAction(context: context) }
        }
    }

    static func regexHangupReply(_ names: [String], actionID id: String) -> AMIListReply {
        AMIListReply(
            response: .listStart(id, message: "Channels hung up will follow"),
            events: listEvents(
                "ChannelHungup", actionID: id, items: names.map { [("Channel", $0)] }, complete: "ChannelsHungupListComplete", actionIDLast: true))
    }

    func coreShowChannels(_ message: AMIMessage, context: ChannelHandlerContext) {
        let id = message.actionID
        if forwardedToHome(message, context: context) { return }
        withCalls(context, { $0.channelReports(tenant: $1, completion: $2) }) { handler, context, reports in
            handler.send(Self.coreShowChannelsReply(reports, actionID: id), context: context)
        }
    }

    static func coreShowChannelsReply(_ reports: [ChannelReport], actionID id: String) -> AMIListReply {
        let items = reports.map { report in
            report.snapshot.eventFields() + [
                ("Application", report.application), ("ApplicationData", report.applicationData),
                ("Duration", Self.duration(report.secondsUp)), ("BridgeId", report.bridgeID),
            ]
        }
        return AMIListReply(
            response: .listStart(id, message: "Channels will follow"),
            events: listEvents("CoreShowChannel", actionID: id, items: items, complete: "CoreShowChannelsComplete"))
    }

    /// Status's variables, or the refusal of a user without the `system` class asking for SHELL/EVAL.
    static func statusVariables(_ message: AMIMessage, system: Bool) -> Result<[String], RedirectRefusal> {
        let names = message.value("Variables").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        if !system, names.contains(where: { $0.contains("SHELL") || $0.contains("EVAL") }) {
            return .failure(RedirectRefusal(message: "Status Access Forbidden: Variables"))
        }
        return .success(names)
    }

    func status(_ message: AMIMessage, context: ChannelHandlerContext, system: Bool) {
        let id = message.actionID
        let wanted = message.value("Channel")
        let names: [String]
        switch Self.statusVariables(message, system: system) {
        case .failure(let refusal): return send(.error(id, message: refusal.message), context: context)
        case .success(let checked): names = checked
        }
        if forwardedToHome(message, context: context) { return }
        withCalls(context, { $0.channelReports(tenant: $1, completion: $2) }) { handler, context, reports in
            handler.send(Self.statusReply(reports, wanted: wanted, variables: names, actionID: id), context: context)
        }
    }

    static func statusReply(_ reports: [ChannelReport], wanted: String, variables names: [String], actionID id: String) -> AMIListReply {
        let selected = wanted.isEmpty ? reports : reports.filter { $0.snapshot.name == wanted || $0.snapshot.uniqueID == wanted }
        if !wanted.isEmpty, selected.isEmpty { return AMIListReply(response: .error(id, message: "No such channel")) }
        var events: [AMIListEvent] = []
        for report in selected {
            var fields: [(String, String)] =
                [("Privilege", "Call")] + report.snapshot.eventFields() + [
                    ("Type", "PJSIP"), ("DNID", ""),
                    (
                        "EffectiveConnectedLineNum",
                        report.snapshot.connectedLine.number.isEmpty ? "<unknown>" : report.snapshot.connectedLine.number
                    ),
                    ("EffectiveConnectedLineName", report.snapshot.connectedLine.name.isEmpty ? "<unknown>" : report.snapshot.connectedLine.name),
                    ("TimeToHangup", "0"), ("BridgeID", report.bridgeID), ("Application", report.application), ("Data", report.applicationData),
                    ("Nativeformats", "(ulaw)"), ("Readformat", "ulaw"), ("Readtrans", ""), ("Writeformat", "ulaw"), ("Writetrans", ""),
                    ("Callgroup", "0"), ("Pickupgroup", "0"), ("Seconds", String(report.secondsUp)),
                ]
            for name in names {
                let value = report.variables.first { ChannelVariables.baseName($0.0) == ChannelVariables.baseName(name) }?.1 ?? ""
                fields.append(("Variable", "\(name)=\(value)"))
            }
            if !id.isEmpty { fields.append(("ActionID", id)) }
            events.append(AMIListEvent(name: "Status", fields: fields))
        }
        var tail: [(String, String)] = id.isEmpty ? [] : [("ActionID", id)]
        tail += [("EventList", "Complete"), ("ListItems", String(selected.count)), ("Items", String(selected.count))]
        events.append(AMIListEvent(name: "StatusComplete", fields: tail))
        return AMIListReply(response: .listStart(id, message: "Channel status will follow"), events: events)
    }

    /// Getvar's refusal before it reaches the calls (no variable, SHELL/EVAL without `system`), or nil.
    static func getvarRefusal(_ message: AMIMessage, system: Bool) -> String? {
        let variable = message.value("Variable")
        if variable.isEmpty { return "No variable specified" }
        if !system, variable.contains("SHELL") || variable.contains("EVAL") { return "GetVar Access Forbidden: Variable" }
        return nil
    }

    static func getvarReply(_ result: String??, variable: String, actionID id: String) -> AMIResponse {
        guard let value = result else { return .error(id, message: "No such channel") }
        return AMIResponse(.success, actionID: id, fields: [("Variable", variable), ("Value", value ?? "")])
    }

    func getvar(_ message: AMIMessage, context: ChannelHandlerContext, system: Bool) {
        let id = message.actionID
        let variable = message.value("Variable")
        if let refusal = Self.getvarRefusal(message, system: system) { return send(.error(id, message: refusal), context: context) }
        if forwardedToHome(message, context: context) { return }
        let channelName = message.value("Channel")
        withCalls(context, { $0.variable(variable, channel: channelName, tenant: $1, completion: $2) }) { handler, context, result in
            handler.send(Self.getvarReply(result, variable: variable, actionID: id), context: context)
        }
    }

    /// Setvar's refusal before it reaches the calls (no variable, over the variable limits), or nil.
    static func setvarRefusal(_ message: AMIMessage, limits: ChannelVariables.Limits) -> String? {
        let variable = message.value("Variable")
        if variable.isEmpty { return "No variable specified" }
        return limits.refusal(name: variable, value: message.value("Value")).map { "Variable not set: \($0)" }
    }

    static func setvarReply(_ result: SetVariableResult, limits: ChannelVariables.Limits, actionID id: String) -> AMIResponse {
        switch result {
        case .set: return .success(id, message: "Variable Set")
        case .noChannel: return .error(id, message: "No such channel")
        case .overLimit: return .error(id, message: "Variable not set: the channel already holds \(limits.maximumCount) variables")
        }
    }

    func setvar(_ message: AMIMessage, context: ChannelHandlerContext) {
        let id = message.actionID
        let variable = message.value("Variable")
        let value = message.value("Value")
        let channelName = message.value("Channel")
        let limits = server.configuration.variableLimits
        if let refusal = Self.setvarRefusal(message, limits: limits) { return send(.error(id, message: refusal), context: context) }
        if forwardedToHome(message, context: context) { return }
        withCalls(context, { $0.setVariable(variable, value: value, channel: channelName, tenant: $1, completion: $2) }) { handler, context, result in
            handler.send(Self.setvarReply(result, limits: limits, actionID: id), context: context)
        }
    }

    func redirect(_ message: AMIMessage, context: ChannelHandlerContext) {
        let id = message.actionID
        guard case .authenticated(let login) = state else { return }
        let plan: RedirectPlan
        switch Self.redirectPlan(message, tenant: login.entry.account.tenant) {
        case .failure(let refusal): return send(.error(id, message: refusal.message), context: context)
        case .success(let checked): plan = checked
        }
        // The channels of a tenant homed on another node run there (docs/cluster.md).
        if forwardedToHome(message, context: context) { return }
        withCalls(
            context,
            {
                $0.redirect(channel: plan.channel, to: plan.target, extra: plan.extra, tenant: $1, completion: $2)
            }
        ) { handler, context, result in
            let reply = Self.redirectReply(result, plan: plan)
            handler.send(reply.success ? .success(id, message: reply.message) : .error(id, message: reply.message), context: context)
        }
    }

    /// A Redirect's channels and targets, read and checked (tenant scope) from its headers.
    struct RedirectPlan: Sendable {
        var channel: String
        var target: (context: String, exten: String, priority: Int)
        var extra: (channel: String, target: (context: String, exten: String, priority: Int))?
    }

    /// Why a Redirect is refused before it reaches the calls: the reply's message.
    struct RedirectRefusal: Error {
        var message: String
    }

    /// Reads a Redirect (Asterisk's replies for a missing or invalid header, the tenant's own contexts only).
    static func redirectPlan(_ message: AMIMessage, tenant: UUID) -> Result<RedirectPlan, RedirectRefusal> {
        let channelName = message.value("Channel")
        let dialContext = message.value("Context")
        let exten = message.value("Exten")
        let priorityText = message.value("Priority")
        guard !channelName.isEmpty else { return .failure(RedirectRefusal(message: "Channel not specified")) }
        guard !dialContext.isEmpty else { return .failure(RedirectRefusal(message: "Context not specified")) }
        guard !exten.isEmpty else { return .failure(RedirectRefusal(message: "Exten not specified")) }
        guard !priorityText.isEmpty else { return .failure(RedirectRefusal(message: "Priority not specified")) }
        guard let priority = Int(priorityText) else { return .failure(RedirectRefusal(message: "Priority is invalid")) }
        let own = tenant.uuidString.lowercased()
        if case .refused(let refusal) = TenantScope.check(context: dialContext, own: own, action: "Redirect") {
            return .failure(RedirectRefusal(message: refusal))
        }
        let extraName = message.value("ExtraChannel")
        var extra: (String, String, Int)?
        if !extraName.isEmpty {
            let extraContext = message.value("ExtraContext")
            if extraContext.isEmpty {
                extra = (dialContext, exten, priority)
            } else {
                let extraExten = message.value("ExtraExten")
                let extraPriority = message.value("ExtraPriority")
                guard !extraExten.isEmpty else { return .failure(RedirectRefusal(message: "ExtraExten not specified")) }
                guard !extraPriority.isEmpty else { return .failure(RedirectRefusal(message: "ExtraPriority not specified")) }
                guard let number = Int(extraPriority) else { return .failure(RedirectRefusal(message: "ExtraPriority is invalid")) }
                if case .refused(let refusal) = TenantScope.check(context: extraContext, own: own, action: "Redirect") {
                    return .failure(RedirectRefusal(message: refusal))
                }
                extra = (extraContext, extraExten, number)
            }
        }
        let dual = extra.map { (channel: extraName, target: (context: $0.0, exten: $0.1, priority: $0.2)) }
        return .success(RedirectPlan(channel: channelName, target: (dialContext, exten, priority), extra: dual))
    }

    /// The reply to a Redirect the calls carried out (or not).
    static func redirectReply(_ result: RedirectResult, plan: RedirectPlan) -> (success: Bool, message: String) {
        switch result {
        case .redirected: return (true, plan.extra == nil ? "Redirect successful" : "Dual Redirect successful")
        case .noChannel: return (false, "Channel does not exist: \(plan.channel)")
        case .noExtraChannel: return (false, "ExtraChannel does not exist: \(plan.extra?.channel ?? "")")
        case .failed: return (false, plan.extra == nil ? "Redirect failed" : "Secondary redirect failed")
        }
    }

    /// BlindTransfer's refusal before it reaches the calls (missing headers, another tenant's context), or nil.
    static func blindTransferRefusal(_ message: AMIMessage, tenant: UUID) -> String? {
        if message.value("Channel").isEmpty { return "No channel specified" }
        if message.value("Exten").isEmpty { return "No extension specified" }
        if let dialContext = message["Context"].flatMap({ $0.isEmpty ? nil : $0 }),
            case .refused(let refusal) = TenantScope.check(context: dialContext, own: tenant.uuidString.lowercased(), action: "BlindTransfer")
        {
            return refusal
        }
        return nil
    }

    static func blindTransferReply(_ result: Bool?, actionID id: String) -> AMIResponse {
        switch result {
        case nil: return .error(id, message: "Channel specified does not exist")
        case true?: return .success(id, message: "Transfer succeeded")
        case false?: return .error(id, message: "Transfer failed")
        }
    }

    func blindTransfer(_ message: AMIMessage, context: ChannelHandlerContext) {
        let id = message.actionID
        let channelName = message.value("Channel")
        let exten = message.value("Exten")
        let dialContext = message["Context"].flatMap { $0.isEmpty ? nil : $0 }
        guard case .authenticated(let login) = state else { return }
        if let refusal = Self.blindTransferRefusal(message, tenant: login.entry.account.tenant) {
            return send(.error(id, message: refusal), context: context)
        }
        if forwardedToHome(message, context: context) { return }
        withCalls(context, { $0.blindTransfer(channel: channelName, exten: exten, context: dialContext, tenant: $1, completion: $2) }) {
            handler, context, result in
            handler.send(Self.blindTransferReply(result, actionID: id), context: context)
        }
    }

    static func duration(_ seconds: Int) -> String {
        let value = max(0, seconds)
        func two(_ number: Int) -> String { number < 10 ? "0\(number)" : String(number) }
        return "\(two(value / 3600)):\(two(value / 60 % 60)):\(two(value % 60))"
    }
}
