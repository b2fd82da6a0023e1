import Foundation
import NIOConcurrencyHelpers
import PBX
import Store

/// Tenants by SIP domain and extensions with their digests, replaced whole when the store changes.
public final class SIPDirectory: Sendable {
    struct Snapshot {
        var tenantsByDomain: [String: Tenant] = [:]
        var defaultTenant: Tenant?
        var extensions: [String: StoredExtension] = [:]
    }

    private let snapshot = NIOLockedValueBox(Snapshot())

    public init() {}

    public func replace(tenants: [Tenant], extensions: [StoredExtension]) {
        var next = Snapshot()
        for tenant in tenants {
            next.tenantsByDomain[tenant.domain.lowercased()] = tenant
            if tenant.name == Tenant.defaultName { next.defaultTenant = tenant }
        }
        for stored in extensions {
            next.extensions[Self.key(stored.tenant.uuid, stored.number)] = stored
        }
        snapshot.withLockedValue { $0 = next }
    }

    /// The tenant of a request addressed to `host`: the tenant with that domain, else the default tenant
    /// (an IP address or an unknown domain).
    public func tenant(forHost host: String?) -> Tenant? {
        snapshot.withLockedValue { snapshot in
            if let host, let tenant = snapshot.tenantsByDomain[host.lowercased()] { return tenant }
            return snapshot.defaultTenant
        }
    }

    public func storedExtension(tenant: UUID, number: String) -> StoredExtension? {
        snapshot.withLockedValue { $0.extensions[Self.key(tenant, number)] }
    }

    static func key(_ tenant: UUID, _ number: String) -> String { "\(tenant.uuidString)|\(number)" }
}
