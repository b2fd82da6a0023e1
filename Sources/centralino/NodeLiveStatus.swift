import AMIServer
import Admin
import Calls
import Cluster
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
    /// In a cluster: /healthz fails while the cluster database is unreachable.
    var cluster: ClusterNode? = nil

    func healthProblem() async -> String? {
        guard let membership = cluster?.membership, !membership.databaseReachable else { return nil }
        return "cluster database unreachable"
    }

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

    func serverMetrics() async -> [MetricFamily] {
        [
            MetricFamily(
                name: "centralino_sip_send_errors_total", help: "SIP messages the kernel or a connection refused to send.", kind: .counter,
                samples: [("", sip.sendErrors)])
        ] + mediaFamilies()
    }

    /// RTP relay counters, from the media engine's totals: packets received, relayed, dropped (by
    /// reason; strict RTP's drops also under their older name), ports that could not be bound.
    func mediaFamilies() -> [MetricFamily] {
        guard let media else { return [] }
        let totals = media.totals
        func count(_ value: UInt64) -> Int { Int(clamping: value) }
        return [
            MetricFamily(
                name: "centralino_rtp_packets_received_total", help: "Valid RTP and RTCP packets received on media legs.", kind: .counter,
                samples: [("kind=\"rtp\"", count(totals.rtpReceived)), ("kind=\"rtcp\"", count(totals.rtcpReceived))]),
            MetricFamily(
                name: "centralino_rtp_packets_relayed_total", help: "RTP and RTCP packets relayed between bridged legs.", kind: .counter,
                samples: [("", count(totals.relayedSent))]),
            MetricFamily(
                name: "centralino_rtp_packets_dropped_total", help: "RTP and RTCP packets dropped, by reason.", kind: .counter,
                samples: [
                    ("reason=\"malformed\"", count(totals.droppedMalformed)),
                    ("reason=\"strict_rtp\"", count(totals.droppedWrongSource)),
                    ("reason=\"not_bridged\"", count(totals.droppedNotBridged)),
                    ("reason=\"no_destination\"", count(totals.droppedNoDestination)),
                    ("reason=\"overload\"", count(totals.droppedOverload)),
                ]),
            MetricFamily(
                name: "centralino_rtp_packets_dropped_strict_total",
                help: "RTP and RTCP packets dropped by strict RTP (a source other than the learnt one, or on probation).", kind: .counter,
                samples: [("", count(totals.droppedWrongSource))]),
            MetricFamily(
                name: "centralino_rtp_bind_failures_total", help: "RTP/RTCP ports that could not be bound (held by another socket).",
                kind: .counter, samples: [("", count(media.bindFailures))]),
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
