import Dispatch
import Metrics

/// What the AMI side counts through swift-metrics; the node bootstraps the Prometheus backend that
/// serves them at `/metrics`. Labels are bounded (a result, never a tenant, user or address).
package enum AMIMetrics {
    /// Seconds from an Originate accepted (past every check and the tenant's limits) to its outcome
    /// (the OriginateResponse event, or the sync reply), by result: AMI Originates and the REST
    /// click-to-calls, which are the same Originate.
    static let originateAnswered = Timer(label: "centralino_originate_duration_seconds", dimensions: [("result", "answered")])
    static let originateFailed = Timer(label: "centralino_originate_duration_seconds", dimensions: [("result", "failed")])
    /// Events a session's queue held each time the session drained it (one sample per drain).
    static let eventQueueDepth = Recorder(label: "centralino_ami_event_queue_depth", aggregate: true)
    /// Sessions whose event queue overflowed (Asterisk closes such a session; so do we).
    static let eventQueueOverflows = Counter(label: "centralino_ami_event_queue_overflows_total")
    /// Events a session's event filters (`Filter`, the user's `eventfilter`) kept from it.
    static let eventsFiltered = Counter(label: "centralino_ami_events_filtered_total")

    /// Records an Originate's latency since `accepted`.
    package static func originateFinished(since accepted: DispatchTime, answered: Bool) {
        (answered ? originateAnswered : originateFailed).recordInterval(since: accepted)
    }
}
