import Foundation
import NIOConcurrencyHelpers
import PBX

/// An extension as SIP and calls see it: its tenant, number, display name and digests (HA1).
public struct DirectoryExtension: Sendable, Hashable {
    public var tenant: Tenant
    public var number: String
    public var name: String?
    public var ha1MD5: String
    public var ha1SHA256: String

    public init(tenant: Tenant, number: String, name: String?, ha1MD5: String, ha1SHA256: String) {
        self.tenant = tenant
        self.number = number
        self.name = name
        self.ha1MD5 = ha1MD5
        self.ha1SHA256 = ha1SHA256
    }
}

/// A trunk of a tenant with the password it authenticates with.
public struct DirectoryTrunk: Sendable {
    public var tenant: UUID
    public var trunk: Trunk
    public var password: String?

    public init(tenant: UUID, trunk: Trunk, password: String?) {
        self.tenant = tenant
        self.trunk = trunk
        self.password = password
    }
}

/// A name within a tenant (an extension's number, a trunk's name, a device such as `PJSIP/100`): the key
/// of the directory's, the registrar's and the engine's device tables. It hashes the UUID's bytes: a `uuid|name` string cost an `snprintf` to format
/// the UUID, and every call looks several up.
package struct TenantName: Hashable, Sendable, CustomStringConvertible {
    package let tenant: UUID
    package let name: String

    package init(_ tenant: UUID, _ name: String) {
        self.tenant = tenant
        self.name = name
    }

    package var description: String { "\(tenant.uuidString)|\(name)" }
}

/// Tenants by SIP domain and extensions with their digests, replaced whole when the store changes
/// (the node maps the store's records to these types; nothing here reads the store).
public final class SIPDirectory: Sendable {
    struct Snapshot {
        var tenantsByDomain: [String: Tenant] = [:]
        var defaultTenant: Tenant?
        var extensions: [TenantName: DirectoryExtension] = [:]
        var tenantsByUUID: [UUID: Tenant] = [:]
        var trunks: [TenantName: DirectoryTrunk] = [:]
        var routes: [UUID: [OutboundRoute]] = [:]
    }

    private let snapshot = NIOLockedValueBox(Snapshot())
    private let generationBox = NIOLockedValueBox(0)

    /// Changes whenever the directory is replaced (dialplans are rebuilt then).
    public var generation: Int { generationBox.withLockedValue { $0 } }

    public init() {}

    public func replace(
        tenants: [Tenant], extensions: [DirectoryExtension], trunks: [DirectoryTrunk] = [], routes: [(tenant: UUID, route: OutboundRoute)] = []
    ) {
        var next = Snapshot()
        for trunk in trunks { next.trunks[TenantName(trunk.tenant, trunk.trunk.name)] = trunk }
        for stored in routes { next.routes[stored.tenant, default: []].append(stored.route) }
        for tenant in tenants {
            next.tenantsByUUID[tenant.uuid] = tenant
            next.tenantsByDomain[tenant.domain.lowercased()] = tenant
            if tenant.name == Tenant.defaultName { next.defaultTenant = tenant }
        }
        for stored in extensions {
            next.extensions[TenantName(stored.tenant.uuid, stored.number)] = stored
        }
        snapshot.withLockedValue { $0 = next }
        generationBox.withLockedValue { $0 += 1 }
    }

    /// The tenant of a request addressed to `host`: the tenant with that domain, else the default tenant
    /// (an IP address or an unknown domain).
    public func tenant(forHost host: String?) -> Tenant? {
        snapshot.withLockedValue { snapshot in
            if let host, let tenant = snapshot.tenantsByDomain[host.lowercased()] { return tenant }
            return snapshot.defaultTenant
        }
    }

    public func tenant(uuid: UUID) -> Tenant? {
        snapshot.withLockedValue { $0.tenantsByUUID[uuid] }
    }

    /// Every tenant, for generating dialplans.
    public var tenants: [Tenant] {
        snapshot.withLockedValue { Array($0.tenantsByUUID.values) }
    }

    public func trunk(tenant: UUID, name: String) -> DirectoryTrunk? {
        snapshot.withLockedValue { $0.trunks[TenantName(tenant, name)] }
    }

    /// The tenant's extensions, trunks and routes (longest prefix first), for its dialplan.
    public func configuration(of tenant: UUID) -> (extensions: [DirectoryExtension], trunks: [DirectoryTrunk], routes: [OutboundRoute]) {
        snapshot.withLockedValue { snapshot in
            (
                snapshot.extensions.values.filter { $0.tenant.uuid == tenant }.sorted { $0.number < $1.number },
                snapshot.trunks.values.filter { $0.tenant == tenant }.sorted { $0.trunk.name < $1.trunk.name },
                snapshot.routes[tenant] ?? []
            )
        }
    }

    public func directoryExtension(tenant: UUID, number: String) -> DirectoryExtension? {
        snapshot.withLockedValue { $0.extensions[TenantName(tenant, number)] }
    }
}
