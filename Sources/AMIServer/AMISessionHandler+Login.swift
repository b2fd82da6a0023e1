import AMI
import ConstantTime
import Foundation
import Logging
import NIOCore
import PBX

/// Login: plain or MD5 challenge, the user's ACL, the address lockout, and what follows success.
extension AMISessionHandler {
    enum LoginFailure {
        case lockedOut
        case unknownAccount
        case aclDenied
        case wrongPassword
        case wrongKey(key: String)

        var securityKind: AMISecurityEvent.Kind? {
            switch self {
            case .lockedOut: return nil
            case .unknownAccount: return .invalidAccountID
            case .aclDenied: return .failedACL
            case .wrongPassword: return .invalidPassword
            case .wrongKey: return .challengeResponseFailed
            }
        }
    }

    func login(_ message: AMIMessage, context: ChannelHandlerContext) {
        if case .authenticated = state {
            send(.success(message.actionID, message: "Already authenticated"), context: context)
            return
        }
        let username = message.value("Username")
        switch authenticate(message, username: username) {
        case .success(let entry):
            // Stored filters were checked when saved; a node with lower filter limits may still refuse them:
            // the user then cannot log in (it would otherwise receive events its filters keep out).
            let eventFilters: AMIEventFilterSet
            do {
                eventFilters = try AMIEventFilterSet(configured: entry.account.eventFilter, limits: server.configuration.filterLimits)
            } catch {
                server.logger.error(
                    "AMI login refused: the user's eventfilter list is invalid on this node",
                    metadata: ["user": "\(entry.account.username)", "error": "\(error)"])
                sendAndClose(.error(message.actionID, message: "Authentication failed"), context: context)
                return
            }
            if let refusal = tenantSessionRefusal(entry) {
                sendAndClose(.error(message.actionID, message: refusal), context: context)
                return
            }
            loginSucceeded(
                entry, eventFilters: eventFilters, actionID: message.actionID, events: message.value("Events"), context: context)
        case .failure(let failure):
            loginFailed(failure, username: username, actionID: message.actionID, context: context)
        }
    }

    private func authenticate(_ message: AMIMessage, username: String) -> Result<AMIDirectory.Entry, LoginFailureBox> {
        let now = NIODeadline.now()
        if server.loginGuard.isLockedOut(remoteIP, account: username.lowercased(), now: now) { return .failure(LoginFailureBox(.lockedOut)) }
        guard let entry = server.directory.entry(for: username), entry.account.enabled else {
            return .failure(LoginFailureBox(.unknownAccount))
        }
        guard entry.accessList.permits(remoteIP) else { return .failure(LoginFailureBox(.aclDenied)) }
        if message.value("AuthType").lowercased() == "md5" {
            let key = message.value("Key")
            guard case .awaitingLogin(let challenge?, _) = state,
                AMIChallenge.verify(key: key, challenge: challenge, secret: entry.account.secret)
            else {
                return .failure(LoginFailureBox(.wrongKey(key: key)))
            }
        } else if !ConstantTime.equals(message.value("Secret"), entry.account.secret) {
            return .failure(LoginFailureBox(.wrongPassword))
        }
        return .success(entry)
    }

    /// A bridged session that starts logged in with an API token (`Authorization: Bearer` on the
    /// WebSocket upgrade): the token's tenant with a tenant user's default classes (read `call`, write
    /// `call,originate`), no event filters. It is no user of the AMI directory, so a directory reload
    /// leaves it open; the tenant's session limit applies as to a Login.
    func tokenLogin(_ token: AMIBridgedPeer.TokenLogin, context: ChannelHandlerContext) {
        let account = AMIAccount(tenant: token.tenant, username: token.name, secret: "", permit: [])
        guard let read = AMIPermissions(classList: account.read), let write = AMIPermissions(classList: account.write) else { return }
        let entry = AMIDirectory.Entry(account: account, accessList: AMIAccessList(rules: []), read: read, write: write)
        if let refusal = tenantSessionRefusal(entry) {
            sendAndClose(.error("", message: refusal), context: context)
            return
        }
        loginSucceeded(
            entry, eventFilters: AMIEventFilterSet(), actionID: "", events: "on", context: context, inDirectory: false)
    }

    private func loginSucceeded(
        _ entry: AMIDirectory.Entry, eventFilters: AMIEventFilterSet, actionID: String, events: String, context: ChannelHandlerContext,
        inDirectory: Bool = true
    ) {
        guard case .awaitingLogin(let challenge, let deadline) = state else { return }
        deadline?.cancel()
        countLoggedIn()
        server.loginGuard.recordSuccess(remoteIP, account: entry.account.username.lowercased())
        let eventMask = AMIPermissions.eventMask(from: events)
        let loop = context.eventLoop
        let handler = NIOLoopBound(self, eventLoop: loop)
        let boundContext = NIOLoopBound(context, eventLoop: loop)
        let channel = context.channel
        let time = AMIServerContext.now()
        let subscriber = AMIEventSubscriber(
            tenant: entry.account.tenant, username: entry.account.username, remoteAddress: remoteIP, since: time,
            entry: inDirectory ? entry : nil,
            filter: entry.read.intersection(eventMask), eventFilters: eventFilters, eventLoop: loop, limit: server.configuration.eventQueueLimit,
            close: { channel.close(promise: nil) }
        ) { overflowed in
            if overflowed {
                handler.value.eventQueueOverflowed(context: boundContext.value)
            } else {
                handler.value.drainEvents(context: boundContext.value)
            }
        }
        state = .authenticated(Login(entry: entry, subscriber: subscriber, time: time, challenge: challenge))
        server.observer?.amiLogin(succeeded: true)
        send(.success(actionID, message: "Authentication accepted"), context: context)
        if entry.read.intersection(eventMask).contains(.system) {
            let uptime = String(Int(time - server.startTime))
            var buffer = context.channel.allocator.buffer(capacity: 96)
            AMIEvent("FullyBooted", classes: .system, fields: [("Uptime", uptime), ("LastReload", uptime), ("Status", "Fully Booted")])
                .write(to: &buffer)
            context.write(wrapOutboundOut(buffer), promise: nil)
        }
        server.bus.subscribe(subscriber)
        // A directory reload between the password check and the subscription would have missed this session.
        if inDirectory, !server.directory.stillAdmits(entry, from: remoteIP) { subscriber.close() }
        server.logger.info("AMI login", metadata: ["user": "\(entry.account.username)", "remote": "\(remoteIP)"])
        server.bus.publishSecurity(
            AMISecurityEvent(.successfulAuth, session: securitySession(account: entry.account.username, sessionTime: time)),
            tenant: entry.account.tenant, now: time)
    }

    private func loginFailed(_ failure: LoginFailureBox, username: String, actionID: String, context: ChannelHandlerContext) {
        var challenge: String?
        if case .awaitingLogin(let given, _) = state { challenge = given }
        enterClosing()
        server.observer?.amiLogin(succeeded: false)
        let now = NIODeadline.now()
        if case .lockedOut = failure.value {
            server.logger.warning("AMI login refused: address locked out", metadata: ["remote": "\(remoteIP)", "user": "\(username)"])
        } else if let lockout = server.loginGuard.recordFailure(remoteIP, account: username.lowercased(), now: now) {
            server.logger.warning(
                "AMI login locked out after repeated failures",
                metadata: ["remote": "\(remoteIP)", "scope": "\(lockout == .address ? "address" : "account \(username)")"])
        }
        if let kind = failure.value.securityKind {
            var details: [(String, String)] = []
            if case .wrongKey(let key) = failure.value {
                details = [("Challenge", challenge ?? ""), ("Response", key)]
            }
            let tenant = server.directory.entry(for: username)?.account.tenant
            server.bus.publishSecurity(
                AMISecurityEvent(kind, session: securitySession(account: username), details: details),
                tenant: kind == .invalidAccountID ? nil : tenant, now: AMIServerContext.now())
        }
        context.flush()
        _ = schedule(in: server.configuration.authFailureDelay, context: context) { handler, context in
            var buffer = context.channel.allocator.buffer(capacity: 96)
            AMIResponse.error(actionID, message: "Authentication failed").write(to: &buffer)
            let channel = context.channel
            context.writeAndFlush(handler.wrapOutboundOut(buffer)).whenComplete { _ in channel.close(promise: nil) }
        }
    }

}

/// `Result` needs an `Error` failure; this wraps the reason a login failed.
struct LoginFailureBox: Error {
    let value: AMISessionHandler.LoginFailure
    init(_ value: AMISessionHandler.LoginFailure) { self.value = value }
}
