import CoreMetrics
import Foundation
import Prometheus

/// The node's metrics registry, served at `/metrics` in Prometheus' text format.
///
/// One `PrometheusCollectorRegistry` holds everything counted through swift-metrics: the node
/// bootstraps `MetricsSystem` with `factory` (`centralino serve`), so the SIP and AMI counters,
/// timers and recorders and Hummingbird's request metrics (`MetricsMiddleware`) land here. The
/// panel's own counters (admin and AMI logins, originates) are made on the registry directly, with
/// their help text. Values that another part of the node owns (sessions, registrations, calls,
/// tenant capacity, RTP totals) are read at scrape time by `AdminApp.metricsText()` instead.
public final class CentralinoMetrics: Sendable {
    /// Something that happened, to be counted.
    public enum Event: Sendable {
        case adminLogin(succeeded: Bool)
        case amiLogin(succeeded: Bool)
        /// An Originate's outcome: `answered`, `failed`, `refused`, `limited`… (a bounded set).
        case originate(result: String)
    }

    /// Histogram buckets of the node's timers, by metric label (seconds).
    static let durationBuckets: [String: [Duration]] = [
        // From Originate accepted to its outcome: includes the ringing time, up to the Originate's timeout.
        "centralino_originate_duration_seconds": [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120].map { Duration.milliseconds(Int64($0 * 1000)) },
        // Cluster event bus: from an event queued on its node to its delivery on this one (PostgreSQL NOTIFY in between).
        "centralino_cluster_bus_lag_seconds": [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5].map {
            Duration.microseconds(Int64($0 * 1_000_000))
        },
    ]
    /// Histogram buckets of the node's recorders, by metric label.
    static let valueBuckets: [String: [Double]] = [
        // Events drained at once from one AMI session's queue (bounded by --ami-event-queue-limit).
        "centralino_ami_event_queue_depth": [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000]
    ]

    /// Where every metric of this node is kept; `/metrics` emits it.
    public let registry: PrometheusCollectorRegistry
    /// The swift-metrics backend over `registry`, for `MetricsSystem.bootstrap`.
    public let factory: PrometheusMetricsFactory

    public init() {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets = Self.durationBuckets
        factory.valueHistogramBuckets = Self.valueBuckets
        self.registry = registry
        self.factory = factory
        // Served from the start, at 0.
        for ok in [true, false] {
            _ = counter(.adminLogin(succeeded: ok))
            _ = counter(.amiLogin(succeeded: ok))
        }
    }

    public func record(_ event: Event) {
        counter(event).increment()
    }

    private func counter(_ event: Event) -> Prometheus.Counter {
        switch event {
        case .adminLogin(let ok):
            return registry.makeCounter(descriptor: Self.adminLogins, labels: [("result", ok ? "ok" : "failed")])
        case .amiLogin(let ok):
            return registry.makeCounter(descriptor: Self.amiLogins, labels: [("result", ok ? "ok" : "failed")])
        case .originate(let result):
            return registry.makeCounter(descriptor: Self.originates, labels: [("result", result)])
        }
    }

    private static var adminLogins: MetricNameDescriptor {
        MetricNameDescriptor(namespace: "centralino", metricName: "admin_logins", unitName: "total", helpText: "Admin panel logins by result.")
    }
    private static var amiLogins: MetricNameDescriptor {
        MetricNameDescriptor(namespace: "centralino", metricName: "ami_logins", unitName: "total", helpText: "AMI logins by result.")
    }
    private static var originates: MetricNameDescriptor {
        MetricNameDescriptor(namespace: "centralino", metricName: "originates", unitName: "total", helpText: "AMI Originate actions by result.")
    }

    /// The registry's exposition text.
    public func emit() -> String {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }

    /// The current value of a sample (`labels` as exposed, e.g. `result="ok"`), for tests.
    public func value(_ name: String, labels: String) -> Int {
        let prefix = labels.isEmpty ? "\(name) " : "\(name){\(labels)} "
        let line = emit().split(separator: "\n").first { $0.hasPrefix(prefix) }
        return line.flatMap { Int($0.dropFirst(prefix.count)) } ?? 0
    }

    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }
}
