import Metrics

/// What the SIP side counts through swift-metrics; the node bootstraps the Prometheus backend that
/// serves them at `/metrics` (without a bootstrap they count nowhere). Labels are bounded: never a
/// peer address or a Call-ID.
enum SIPMetrics {
    /// `centralino_sip_transactions_total{outcome}`: transactions (and our 2xx retransmissions) by how they ended.
    static let completed = Counter(label: "centralino_sip_transactions_total", dimensions: [("outcome", "completed")])
    static let timeout = Counter(label: "centralino_sip_transactions_total", dimensions: [("outcome", "timeout")])
    static let transportError = Counter(label: "centralino_sip_transactions_total", dimensions: [("outcome", "transport_error")])
    /// Requests answered without a server transaction because `--sip-max-transactions` were running.
    static let refused = Counter(label: "centralino_sip_transactions_total", dimensions: [("outcome", "refused_cap")])

    /// `centralino_sip_path_ignored_total`: REGISTERs whose `Path` was dropped because they did not come
    /// from `--sip-trusted-edges` (a phone naming where the node should send its requests).
    static let pathIgnored = Counter(label: "centralino_sip_path_ignored_total")

    /// Counts a transaction that terminated, by the failure it reported (nil: it completed).
    static func ended(_ failure: SIPTransactionLayer.Failure?) {
        switch failure {
        case nil: completed.increment()
        case .timeout: timeout.increment()
        case .transportError: transportError.increment()
        }
    }
}
