import Foundation

/// An administrator of the panel. `tenant` nil means the system administrator, who sees every
/// tenant; a tenant administrator logs in as `name@<tenant domain>` and sees only that tenant.
public struct AdminUserRecord: Sendable, Hashable {
    public var id: Int64
    public var name: String
    public var tenant: UUID?
    /// The tenant's domain when the administrator belongs to one (for the `name@domain` login).
    public var tenantDomain: String?
    /// A bcrypt hash (`$2b$…`); the store never sees a password.
    public var passwordHash: String

    public init(id: Int64, name: String, tenant: UUID?, tenantDomain: String?, passwordHash: String) {
        self.id = id
        self.name = name
        self.tenant = tenant
        self.tenantDomain = tenantDomain
        self.passwordHash = passwordHash
    }

    /// What the administrator types in the login form.
    public var loginName: String {
        tenantDomain.map { "\(name)@\($0)" } ?? name
    }
}
