import Foundation
import PBX

/// `/metrics`: the registry (everything counted through swift-metrics and the panel's counters),
/// then the families read at scrape time from the live node and the store.
extension AdminApp {
    /// The whole `/metrics` text.
    func metricsText() async -> String {
        // One read of the tenant list per scrape, for both per-tenant views.
        let tenants = ((try? await store.tenantRecords()) ?? []).map(\.tenant)
        let families = await nodeFamilies(tenants) + (await live.serverMetrics()) + (await tenantCapacityFamilies(tenants))
        return metrics.emit() + families.flatMap(\.lines).joined(separator: "\n") + "\n"
    }

    /// Per-tenant capacity: what each tenant holds of the node's pools against its limits, and how
    /// often a limit refused it (labelled `tenant="<name>"`).
    func tenantCapacityFamilies(_ tenants: [Tenant]) async -> [MetricFamily] {
        var families = [
            MetricFamily(name: "centralino_tenant_channels", help: "Channels the tenant holds.", kind: .gauge),
            MetricFamily(name: "centralino_tenant_channels_limit", help: "The tenant's channel limit.", kind: .gauge),
            MetricFamily(name: "centralino_tenant_rtp_port_pairs", help: "RTP port pairs (media legs) the tenant holds.", kind: .gauge),
            MetricFamily(name: "centralino_tenant_rtp_port_pairs_limit", help: "The tenant's RTP port pair limit.", kind: .gauge),
            MetricFamily(name: "centralino_tenant_ami_sessions", help: "Authenticated AMI sessions of the tenant.", kind: .gauge),
            MetricFamily(name: "centralino_tenant_ami_sessions_limit", help: "The tenant's AMI session limit.", kind: .gauge),
            MetricFamily(
                name: "centralino_tenant_originates_per_second_limit", help: "The tenant's originate rate limit (0 = unlimited).", kind: .gauge),
            MetricFamily(name: "centralino_tenant_capacity_refusals_total", help: "Requests refused by a tenant limit, by limit.", kind: .counter),
        ]
        for tenant in tenants {
            guard let capacity = await live.capacity(tenant: tenant.uuid) else { continue }
            let label = MetricFamily.label("tenant", tenant.name)
            let values = [
                capacity.channels, capacity.channelsLimit, capacity.rtpPortPairs, capacity.rtpPortPairsLimit,
                capacity.amiSessions, capacity.amiSessionsLimit, capacity.originatesPerSecondLimit,
            ]
            for (index, value) in values.enumerated() { families[index].samples.append((label, value)) }
            for limit in ["channels", "rtp_port_pairs", "ami_sessions", "originate_rate"] {
                families[7].samples.append(("\(label),limit=\"\(limit)\"", capacity.refusals[limit] ?? 0))
            }
        }
        return families
    }

    /// Live totals over every tenant, and calls in progress by tenant (`tenant="<name>"`: tenants are
    /// bounded by provisioning).
    func nodeFamilies(_ tenants: [Tenant]) async -> [MetricFamily] {
        var sessions = 0
        var registrations = 0
        var calls = 0
        var byTenant = MetricFamily(name: "centralino_tenant_calls", help: "Calls in progress in the tenant.", kind: .gauge)
        for tenant in tenants {
            sessions += await live.amiSessions(tenant: tenant.uuid).count
            registrations += await live.registrations(tenant: tenant.uuid).count
            let tenantCalls = await live.activeCalls(tenant: tenant.uuid)
            calls += tenantCalls
            byTenant.samples.append((MetricFamily.label("tenant", tenant.name), tenantCalls))
        }
        return [
            MetricFamily(name: "centralino_ami_sessions", help: "Authenticated AMI sessions.", kind: .gauge, samples: [("", sessions)]),
            MetricFamily(name: "centralino_registrations", help: "Registered SIP contacts.", kind: .gauge, samples: [("", registrations)]),
            MetricFamily(name: "centralino_active_calls", help: "Calls in progress.", kind: .gauge, samples: [("", calls)]),
            byTenant,
        ]
    }
}
