import AMI
import Calls
import Foundation

/// The tenant's AMI session limit, checked when a login has authenticated: one more session than
/// the limit is refused with `Response: Error` and a message saying which limit, then closed.
extension AMISessionHandler {
    /// nil when the user's tenant may hold one more session; else the refusal's message (counted
    /// for `/metrics`). Checked against the live sessions just before this one subscribes.
    func tenantSessionRefusal(_ entry: AMIDirectory.Entry) -> String? {
        guard let capacity = server.calls?.capacity else { return nil }
        let tenant = entry.account.tenant
        let limit = capacity.amiSessionLimit(tenant: tenant)
        guard server.bus.sessions(tenant: tenant).count >= limit else { return nil }
        capacity.recordAMISessionRefusal(tenant: tenant)
        let refusal = TenantCapacityRefusal(resource: .amiSessions, limit: limit)
        server.logger.warning(
            "AMI login refused: tenant session limit",
            metadata: ["user": "\(entry.account.username)", "remote": "\(remoteIP)", "limit": "\(limit)"])
        server.bus.publishSecurity(
            AMISecurityEvent(.sessionLimit, session: securitySession(account: entry.account.username)),
            tenant: tenant, now: AMIServerContext.now())
        return "Too many AMI sessions: \(refusal)"
    }
}
