import Foundation
import Hummingbird
import HummingbirdBcrypt
import Logging
import Store

/// What every route handler shares: the store, the live view of the server, sessions,
/// throttling, metrics and configuration.
final class AdminApp: Sendable {
    static let sessionCookie = "centralino_session"
    static let loginCSRFCookie = "centralino_login_csrf"

    let store: CentralinoStore
    let live: any AdminLiveStatus
    let configuration: AdminConfiguration
    let metrics: CentralinoMetrics
    let logger: Logger
    let sessions: AdminSessionStore
    let throttle: AdminLoginThrottle
    let securityLog = AdminSecurityLog()
    /// A bcrypt hash of a random password, checked for unknown login names.
    let dummyHash: String

    init(store: CentralinoStore, live: any AdminLiveStatus, configuration: AdminConfiguration, metrics: CentralinoMetrics, logger: Logger) {
        self.store = store
        self.live = live
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
        sessions = AdminSessionStore(idleTimeout: configuration.sessionIdleTimeout, lifetime: configuration.sessionLifetime)
        // Once, when the router is built (not in a handler).
        dummyHash = Bcrypt.hash(AdminSecrets.randomPassword(), cost: configuration.bcryptCost)
        throttle = AdminLoginThrottle(failures: configuration.loginFailures, window: configuration.loginWindow, lockout: configuration.loginLockout)
    }

    /// Whether cookies set in reply to `request` carry `Secure` (see `AdminConfiguration.SecureCookies`).
    func secureCookies(for request: Request) -> Bool {
        switch configuration.secureCookies {
        case .always: return true
        case .never: return false
        case .automatic:
            if request.headers[.xForwardedProto]?.lowercased() == "https" { return true }
            var host = (request.head.authority ?? "").lowercased()
            if host.hasPrefix("[") { host = String(host.prefix { $0 != "]" }.dropFirst()) } else { host = String(host.prefix { $0 != ":" }) }
            return host == "localhost" || host.hasSuffix(".localhost") || host.hasPrefix("127.") || host == "::1"
        }
    }

    /// A session cookie: HttpOnly, SameSite=Strict, Path=/, Secure when the request allows it.
    func cookie(_ name: String, value: String, request: Request, maxAge: Int? = nil) -> Cookie {
        Cookie(name: name, value: value, maxAge: maxAge, path: "/", secure: secureCookies(for: request), httpOnly: true, sameSite: .strict)
    }

    /// The signed-in administrator of a panel request, or nil.
    func panelAuth(_ request: Request) async -> PanelAuth? {
        guard let id = request.cookies[Self.sessionCookie]?.value, let session = sessions.session(id),
            let user = try? await store.adminUser(id: session.adminUserID)
        else { return nil }
        return PanelAuth(session: session, principal: AdminPrincipal(user: user))
    }

    /// The administrator an API request's `Authorization: Bearer` token acts as, or nil.
    func apiPrincipal(_ request: Request) async -> AdminPrincipal? {
        guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") else { return nil }
        let token = header.dropFirst("bearer ".count).trimmingCharacters(in: .whitespaces)
        guard !token.isEmpty, let user = try? await store.adminUser(tokenSHA256: AdminSecrets.sha256Hex(token)) else { return nil }
        return AdminPrincipal(user: user)
    }

    /// Records a security event of the panel (and logs it).
    func securityEvent(_ kind: String, account: String, address: String, tenant: UUID?) {
        securityLog.record(LiveSecurityEvent(time: Date(), service: "HTTP", kind: kind, account: account, remoteAddress: address), tenant: tenant)
        logger.notice("admin panel security event", metadata: ["event": "\(kind)", "account": "\(account)", "address": "\(address)"])
    }

    /// Security events of a tenant: the server's (AMI, SIP) and the panel's, newest first.
    func securityEvents(tenant: UUID) async -> [LiveSecurityEvent] {
        let limit = configuration.dashboardEventLimit
        let merged = await live.securityEvents(tenant: tenant, limit: limit) + securityLog.recent(tenant: tenant, limit: limit)
        return Array(merged.sorted { $0.time > $1.time }.prefix(limit))
    }
}

/// A signed-in panel request: its session (for the CSRF token and flash) and administrator.
struct PanelAuth: Sendable {
    let session: AdminSession
    let principal: AdminPrincipal
}
