import AMIServer
import Admin
import Calls
import Foundation
import Media
import SIPServer

/// What the admin panel shows live, read from the running node.
struct NodeLiveStatus: AdminLiveStatus {
    let bus: AMIEventBus
    let sip: SIPServer
    let calls: CallControl
    /// The RTP relay, for its packet counters.
    var media: MediaEngine?

    func amiSessions(tenant: UUID) async -> [LiveAMISession] {
        bus.sessions(tenant: tenant).map {
            LiveAMISession(username: $0.username, address: $0.remoteAddress, since: Date(timeIntervalSince1970: $0.since))
        }
    }

    func registrations(tenant: UUID) async -> [LiveRegistration] {
        sip.registrations(tenant: tenant).map {
            LiveRegistration(
                number: $0.number, contact: $0.contact, source: $0.source, transport: $0.transport,
                userAgent: $0.userAgent, expiresAt: Date(timeIntervalSince1970: $0.expiresAt), reachable: $0.reachable)
        }
    }

    func securityEvents(tenant: UUID, limit: Int) async -> [LiveSecurityEvent] {
        bus.recentSecurityEvents(tenant: tenant, limit: limit).map {
            LiveSecurityEvent(
                time: Date(timeIntervalSince1970: $0.time), service: "AMI", kind: $0.kind, account: $0.account,
                remoteAddress: $0.remoteAddress)
        }
    }

    func activeCalls(tenant: UUID) async -> Int {
        await calls.activeCalls(tenant: tenant)
    }

    func serverCounters() async -> [(name: String, help: String, value: Int)] {
        [("centralino_sip_send_errors_total", "SIP messages the kernel or a connection refused to send.", sip.sendErrors)]
            + mediaCounters()
    }

    /// RTP relay counters: packets relayed, packets dropped by strict RTP, ports that could not be bound.
    func mediaCounters() -> [(name: String, help: String, value: Int)] {
        guard let media else { return [] }
        let totals = media.totals
        return [
            ("centralino_rtp_packets_relayed_total", "RTP and RTCP packets relayed between bridged legs.", Int(clamping: totals.relayedSent)),
            (
                "centralino_rtp_packets_dropped_strict_total",
                "RTP and RTCP packets dropped by strict RTP (a source other than the learnt one, or on probation).",
                Int(clamping: totals.droppedWrongSource)
            ),
            (
                "centralino_rtp_bind_failures_total", "RTP/RTCP ports that could not be bound (held by another socket).",
                Int(clamping: media.bindFailures)
            ),
        ]
    }

    func capacity(tenant: UUID) async -> LiveTenantCapacity? {
        let now = calls.capacity.snapshot(tenant: tenant)
        return LiveTenantCapacity(
            channels: now.channels, channelsLimit: now.limits.channels,
            rtpPortPairs: now.rtpPortPairs, rtpPortPairsLimit: now.limits.rtpPortPairs,
            amiSessions: bus.sessions(tenant: tenant).count, amiSessionsLimit: now.limits.amiSessions,
            originatesPerSecondLimit: now.limits.originatesPerSecond, refusals: now.refusals)
    }

    @discardableResult
    func closeAMISessions(tenant: UUID, username: String?) async -> Int {
        bus.closeSessions(tenant: tenant, username: username)
    }
}

/// Feeds the node's counters into the panel's Prometheus metrics.
struct MetricsObserver: NodeObserver {
    let metrics: CentralinoMetrics

    func amiLogin(succeeded: Bool) { metrics.record(.amiLogin(succeeded: succeeded)) }
    func originate(result: String) { metrics.record(.originate(result: result)) }
}
