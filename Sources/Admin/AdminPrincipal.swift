import Foundation
import Store

/// Who a request acts as: a signed-in administrator (panel) or the owner of an API token.
public struct AdminPrincipal: Sendable, Hashable {
    public var user: AdminUserRecord

    public init(user: AdminUserRecord) {
        self.user = user
    }

    /// True for the system administrator, who manages every tenant and creates tenants.
    public var isSystemAdmin: Bool { user.tenant == nil }

    /// True when this administrator may see and change `tenant`.
    public func mayAccess(_ tenant: UUID) -> Bool {
        user.tenant == nil || user.tenant == tenant
    }
}
