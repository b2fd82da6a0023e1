import Foundation

/// A customer of the PBX: its own extensions, trunks, routes, AMI users and SIP domain.
public struct Tenant: Sendable, Hashable, Identifiable {
    /// The name of the tenant every installation has; requests to an IP address or an unknown domain belong to it.
    public static let defaultName = "default"

    public var id: UUID { uuid }
    public var uuid: UUID
    public var name: String
    /// SIP domain of this tenant's phones (`100@acme.test`).
    public var domain: String
    /// Country whose progress tones (ringback) this tenant hears.
    public var toneCountry: String
    /// Its own capacity limits; nil ones are the node's defaults.
    public var limits: TenantLimits

    public init(uuid: UUID, name: String, domain: String, toneCountry: String = "it", limits: TenantLimits = TenantLimits()) {
        self.uuid = uuid
        self.name = name
        self.domain = domain
        self.toneCountry = toneCountry
        self.limits = limits
    }
}
