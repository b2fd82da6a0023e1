import Admin
import Foundation
import Hummingbird
import HummingbirdTesting
import Metrics
import Prometheus
import Testing

/// `/metrics` renders one Prometheus registry: what swift-metrics users count (through the node's
/// factory), the panel's counters, then the families read at scrape time.
struct MetricsTests {
    /// swift-metrics' global bootstrap, once per test process (it may not run twice): Hummingbird's
    /// `MetricsMiddleware` counts through it.
    static let global: CentralinoMetrics = {
        let metrics = CentralinoMetrics()
        MetricsSystem.bootstrap(metrics.factory)
        return metrics
    }()

    @Test func swiftMetricsThroughTheFactoryRenderAsPrometheusFamilies() {
        let metrics = CentralinoMetrics()
        Counter(label: "centralino_sip_transactions_total", dimensions: [("outcome", "timeout")], factory: metrics.factory).increment(by: 2)
        Timer(label: "centralino_originate_duration_seconds", dimensions: [("result", "answered")], factory: metrics.factory)
            .recordMilliseconds(1500)
        Recorder(label: "centralino_ami_event_queue_depth", aggregate: true, factory: metrics.factory).record(7)
        metrics.record(.originate(result: "answered"))
        let text = metrics.emit()
        #expect(text.contains("# TYPE centralino_sip_transactions_total counter\n"))
        #expect(text.contains("centralino_sip_transactions_total{outcome=\"timeout\"} 2\n"))
        // The originate timer is a histogram in seconds with the node's buckets (ringing takes seconds).
        #expect(text.contains("# TYPE centralino_originate_duration_seconds histogram\n"))
        #expect(text.contains("centralino_originate_duration_seconds_bucket{result=\"answered\",le=\"1.0\"} 0\n"))
        #expect(text.contains("centralino_originate_duration_seconds_bucket{result=\"answered\",le=\"2.5\"} 1\n"))
        #expect(text.contains("centralino_originate_duration_seconds_bucket{result=\"answered\",le=\"120.0\"} 1\n"))
        #expect(text.contains("centralino_originate_duration_seconds_count{result=\"answered\"} 1\n"))
        #expect(text.contains("centralino_ami_event_queue_depth_bucket{le=\"10.0\"} 1\n"))
        #expect(text.contains("centralino_ami_event_queue_depth_bucket{le=\"5.0\"} 0\n"))
        // The panel's own counters keep their help text; the login counters are there from the start.
        #expect(text.contains("# HELP centralino_originates_total AMI Originate actions by result.\n"))
        #expect(text.contains("centralino_originates_total{result=\"answered\"} 1\n"))
        #expect(text.contains("centralino_ami_logins_total{result=\"failed\"} 0\n"))
        #expect(metrics.value("centralino_sip_transactions_total", labels: "outcome=\"timeout\"") == 2)
    }

    @Test func metricsEndpointServesTheRegistryThenTheScrapeTimeFamilies() async throws {
        let harness = try await AdminTestHarness()
        Counter(label: "centralino_sip_transactions_total", dimensions: [("outcome", "completed")], factory: harness.metrics.factory).increment()
        await harness.live.setActiveCalls(3, tenant: harness.acme.tenant.uuid)
        try await harness.application().test(.router) { client in
            let response = try await client.execute(uri: "/metrics", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
            let text = String(buffer: response.body)
            #expect(text.contains("centralino_sip_transactions_total{outcome=\"completed\"} 1\n"))
            #expect(text.contains("# TYPE centralino_tenant_calls gauge\n"))
            #expect(text.contains("centralino_tenant_calls{tenant=\"acme\"} 3\n"))
            #expect(text.contains("centralino_tenant_calls{tenant=\"beta\"} 0\n"))
            #expect(text.contains("centralino_active_calls 3\n"))
            // Every family once: the registry's names and the scrape-time ones do not collide.
            let types = text.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }
            #expect(Set(types).count == types.count)
        }
    }

    @Test func hummingbirdRequestMetricsReachTheBootstrappedRegistry() async throws {
        let metrics = Self.global
        let harness = try await AdminTestHarness()
        try await harness.application().test(.router) { client in
            let health = try await client.execute(uri: "/healthz", method: .get)
            #expect(health.status == .ok)
        }
        let text = metrics.emit()
        #expect(text.contains("# TYPE hb_requests counter\n"))
        #expect(text.contains("hb_requests{http_route=\"/healthz\",http_request_method=\"GET\",http_response_status_code=\"200\"}"))
        #expect(text.contains("# TYPE http_server_request_duration histogram\n"))
    }
}
