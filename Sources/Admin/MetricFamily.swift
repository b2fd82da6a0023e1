/// One Prometheus metric with labelled samples, e.g. `centralino_tenant_channels{tenant="acme"} 3`.
struct MetricFamily: Sendable {
    enum Kind: String, Sendable {
        case counter
        case gauge
    }

    var name: String
    var help: String
    var kind: Kind
    /// Label text (`tenant="acme"`, already escaped) and value.
    var samples: [(labels: String, value: Int)] = []

    /// The exposition lines: HELP, TYPE, then one line per sample.
    var lines: [String] {
        ["# HELP \(name) \(help)", "# TYPE \(name) \(kind.rawValue)"]
            + samples.map { "\(name){\($0.labels)} \($0.value)" }
    }
}
