import AMI
import Calls
import Foundation
import Logging
import NIOCore

/// Action dispatch: the checks Asterisk's `process_message()` makes, in its order, then each action.
extension AMISessionHandler {
    static let actionsBeforeLogin: Set<String> = ["login", "challenge", "logoff"]

    /// What `handle` ran: Ping (its reply gathered in `outbound`), or anything else.
    enum Handled { case ping, other }

    @discardableResult
    func handle(_ inbound: AMIInbound, context: ChannelHandlerContext) -> Handled {
        let (action, actionID) = inbound.message.actionAndActionID
        // The fast path for the commonest action: the same checks (well formed, logged in, permitted) in short.
        if inbound.problem == nil, action == "Ping" || action.equalsIgnoringASCIICase("Ping"), mayPing() {
            ping(actionID, context: context)
            return .ping
        }
        // Whatever this action writes, directly or through `send`, follows the Ping replies before it.
        emitOutbound(context: context)
        dispatch(inbound, action: action, actionID: actionID, context: context)
        return .other
    }

    /// Logged in and allowed to Ping. Once true it stays true: a login's write classes do not change (a
    /// directory change that would alter them ends the session), and a closing session reads nothing.
    private func mayPing() -> Bool {
        if pingAllowed { return true }
        guard case .authenticated(let login) = state, let descriptor = pingDescriptor, descriptor.isPermitted(for: login.entry.write)
        else { return false }
        pingAllowed = true
        return true
    }

    private func dispatch(_ inbound: AMIInbound, action: String, actionID: String, context: ChannelHandlerContext) {
        let message = inbound.message
        if let problem = inbound.problem {
            send(.error(actionID, message: problem.replyMessage), context: context)
            return
        }
        if action.isEmpty {
            raiseSecurity(.requestBadFormat, details: [("RequestType", "Action: NONE")])
            send(.error(actionID, message: "Missing action in request"), context: context)
            return
        }
        let isAuthenticated: Bool
        if case .authenticated = state { isAuthenticated = true } else { isAuthenticated = false }
        if !isAuthenticated, !Self.actionsBeforeLogin.contains(action.lowercased()) {
            raiseSecurity(.requestNotAllowed, details: [("RequestType", "Action: \(action)")])
            send(.error(actionID, message: "Permission denied"), context: context)
            return
        }
        guard let descriptor = server.catalog.descriptor(named: action) else {
            raiseSecurity(.requestBadFormat, details: [("RequestType", "Action: \(action)")])
            send(
                .error(actionID, message: "Invalid/unknown command: \(action). Use Action: ListCommands to show available commands."),
                context: context)
            return
        }
        // Filter keeps Asterisk's class (ListCommands lists it as Asterisk does) but needs none here: a filter
        // only narrows what its own session receives (docs/ami-compatibility.md, Event filters).
        if case .authenticated(let login) = state, !descriptor.isPermitted(for: login.entry.write), descriptor.name != "Filter" {
            raiseSecurity(.requestNotAllowed, details: [("RequestType", "Action: \(action)")])
            send(.error(actionID, message: "Permission denied"), context: context)
            return
        }
        switch descriptor.name {
        case "Ping": ping(actionID, context: context)
        case "Login": login(message, context: context)
        case "Logoff": sendAndClose(AMIResponse(.goodbye, actionID: actionID, fields: [("Message", "Thanks for all the fish.")]), context: context)
        case "Challenge": challenge(message, context: context)
        case "Events": events(message, context: context)
        case "ListCommands": listCommands(actionID, context: context)
        case "CoreSettings": coreSettings(actionID, context: context)
        case "CoreStatus": coreStatus(actionID, context: context)
        case "UserEvent": userEvent(message, context: context)
        case "WaitEvent": startWaitEvent(message, context: context)
        case "Filter": filter(message, context: context)
        case "Originate": originate(message, context: context)
        case "Hangup": amiHangup(message, context: context)
        case "CoreShowChannels": coreShowChannels(message, context: context)
        case "Status": status(message, context: context, system: login(of: state)?.entry.write.contains(.system) ?? false)
        case "Getvar": getvar(message, context: context, system: login(of: state)?.entry.write.contains(.system) ?? false)
        case "Setvar": setvar(message, context: context)
        case "Redirect": redirect(message, context: context)
        case "BlindTransfer": blindTransfer(message, context: context)
        case "PJSIPShowEndpoints": listEndpoints(message, context: context, contacts: false)
        case "PJSIPShowContacts": listEndpoints(message, context: context, contacts: true)
        case "ExtensionState": extensionState(message, context: context)
        case "ExtensionStateList": extensionStateList(message, context: context, devices: false)
        case "DeviceStateList": extensionStateList(message, context: context, devices: true)
        default:
            send(.error(actionID, message: "Action \(descriptor.name) is not available in this version of Centralino"), context: context)
        }
    }

    func login(of state: State) -> Login? {
        if case .authenticated(let login) = state { return login }
        return nil
    }

    /// Ping's reply goes into `outbound`, with the other replies of the read burst: one write per burst
    /// (or per `outboundChunk` bytes) instead of one per Ping.
    func ping(_ actionID: String, context: ChannelHandlerContext) {
        var buffer = outbound ?? context.channel.allocator.buffer(capacity: 1024)
        outbound = nil  // unique: the write below appends in place
        AMIResponse.writePong(actionID: actionID, now: AMIServerContext.now(), to: &buffer)
        outbound = buffer
        if buffer.readableBytes >= Self.outboundChunk { emitOutbound(context: context) }
    }

    func challenge(_ message: AMIMessage, context: ChannelHandlerContext) {
        guard message.value("AuthType").lowercased() == "md5" else {
            send(.error(message.actionID, message: "Must specify AuthType"), context: context)
            return
        }
        var generator = SystemRandomNumberGenerator()
        let challenge: String
        switch state {
        case .awaitingLogin(let given, let deadline):
            challenge = given ?? AMIChallenge.generate(using: &generator)
            state = .awaitingLogin(challenge: challenge, deadline: deadline)
        case .authenticated(var login):
            challenge = login.challenge ?? AMIChallenge.generate(using: &generator)
            login.challenge = challenge
            state = .authenticated(login)
        case .closing:
            return
        }
        send(AMIResponse(.success, actionID: message.actionID, fields: [("Challenge", challenge)]), context: context)
    }

    func events(_ message: AMIMessage, context: ChannelHandlerContext) {
        let text = message.value("EventMask")
        guard !text.isEmpty else {
            send(.error(message.actionID, message: "Invalid event mask"), context: context)
            return
        }
        let eventMask = AMIPermissions.eventMask(from: text)
        if case .authenticated(let login) = state {
            login.subscriber.setFilter(login.entry.read.intersection(eventMask))
        }
        send(AMIResponse(.success, actionID: message.actionID, fields: [("Events", eventMask.isEmpty ? "Off" : "On")]), context: context)
    }

    func listCommands(_ actionID: String, context: ChannelHandlerContext) {
        guard case .authenticated(let login) = state else { return }
        let lines = server.catalog.permitted(for: login.entry.write).map { ($0.name, $0.listCommandsValue) }
        send(AMIResponse(.success, actionID: actionID, fields: lines), context: context)
    }

    func coreSettings(_ actionID: String, context: ChannelHandlerContext) {
        send(
            AMIResponse(
                .success, actionID: actionID,
                fields: [
                    ("AMIversion", "9.0.0"), ("AsteriskVersion", CentralinoVersion.asteriskCompatible), ("SystemName", ""),
                    ("CoreMaxCalls", "0"), ("CoreMaxLoadAvg", "0.000000"), ("CoreRunUser", ""), ("CoreRunGroup", ""),
                    ("CoreMaxFilehandles", "0"), ("CoreRealTimeEnabled", "No"), ("CoreCDRenabled", "Yes"), ("CoreHTTPenabled", "No"),
                    ("SoundsSearchCustomDir", "No"),
                ]), context: context)
    }

    func coreStatus(_ actionID: String, context: ChannelHandlerContext) {
        let start = AMITime.civil(Int64(server.startTime))
        let respond = { (handler: AMISessionHandler, context: ChannelHandlerContext, counts: (Int, Int)) in
            handler.send(
                AMIResponse(
                    .success, actionID: actionID,
                    fields: [
                        ("CoreStartupDate", start.date), ("CoreStartupTime", start.time),
                        ("CoreReloadDate", start.date), ("CoreReloadTime", start.time),
                        ("CoreCurrentCalls", String(counts.0)), ("CoreProcessedCalls", String(counts.1)),
                    ]), context: context)
        }
        guard server.calls != nil else { return respond(self, context, (0, 0)) }
        withCalls(context, { $0.callCounts(tenant: $1, completion: $2) }) { handler, context, counts in
            respond(handler, context, (counts.active, counts.processed))
        }
    }

    /// Sends `UserEvent` to the tenant's sessions that read `user`: every header but Action and
    /// UserEvent is copied verbatim, ActionID included, as Asterisk does.
    func userEvent(_ message: AMIMessage, context: ChannelHandlerContext) {
        guard case .authenticated(let login) = state else { return }
        var fields = [("UserEvent", message.value("UserEvent"))]
        for header in message.headers where !header.name.equalsIgnoringASCIICase("Action") && !header.name.equalsIgnoringASCIICase("UserEvent") {
            fields.append((header.name, header.value))
        }
        send(.success(message.actionID, message: "Event Sent"), context: context)
        server.bus.publish(AMIEvent("UserEvent", classes: .user, fields: fields), tenant: login.entry.account.tenant)
    }

    func startWaitEvent(_ message: AMIMessage, context: ChannelHandlerContext) {
        // `%30i` into a C `int` as manager.c reads it: anything else means no timeout.
        let seconds = Int32(message.value("Timeout").trimmingASCIIWhitespace()).map(Int.init) ?? -1
        var timer: Scheduled<Void>?
        if seconds >= 0 {
            timer = schedule(in: .seconds(Int64(seconds)), context: context) { handler, context in
                handler.finishWaitEvent(context: context)
            }
        }
        updateLogin { $0.waitEvent = PendingWaitEvent(actionID: message.actionID, timer: timer) }
        if case .authenticated(let login) = state, login.subscriber.hasQueued {
            finishWaitEvent(context: context)
        }
    }

    func securitySession(account: String, sessionTime: Double = 0) -> AMISecurityEvent.Session {
        AMISecurityEvent.Session(
            accountID: account, sessionID: sessionID,
            localAddress: AMISecurityEvent.addressString(ip: localIP, port: localPort),
            remoteAddress: AMISecurityEvent.addressString(ip: remoteIP, port: remotePort),
            sessionTime: sessionTime)
    }

    /// Raises a security event about this session's own requests (tenant-scoped once logged in).
    func raiseSecurity(_ kind: AMISecurityEvent.Kind, details: [(String, String)]) {
        var account = ""
        var tenant: UUID?
        var sessionTime = 0.0
        if case .authenticated(let login) = state {
            account = login.entry.account.username
            tenant = login.entry.account.tenant
            sessionTime = login.time
        }
        server.bus.publishSecurity(
            AMISecurityEvent(kind, session: securitySession(account: account, sessionTime: sessionTime), details: details),
            tenant: tenant, now: AMIServerContext.now())
    }
}

/// Version strings this node reports.
public enum CentralinoVersion {
    /// What CoreSettings reports as `AsteriskVersion`: clients pick their dialect from it.
    public static let asteriskCompatible = "20.0.0"
}
