/// One Prometheus metric family read at scrape time, e.g. `centralino_tenant_channels{tenant="acme"} 3`:
/// values another part of the node owns (AdminLiveStatus), rendered after the registry's.
public struct MetricFamily: Sendable {
    public enum Kind: String, Sendable {
        case counter
        case gauge
    }

    public var name: String
    public var help: String
    public var kind: Kind
    /// Label text (`tenant="acme"`, already escaped; empty for none) and value.
    public var samples: [(labels: String, value: Int)]

    public init(name: String, help: String, kind: Kind, samples: [(labels: String, value: Int)] = []) {
        self.name = name
        self.help = help
        self.kind = kind
        self.samples = samples
    }

    /// A label pair as exposed, its value escaped: `label("tenant", "acme")` is `tenant="acme"`.
    public static func label(_ name: String, _ value: String) -> String {
        "\(name)=\"\(CentralinoMetrics.escape(value))\""
    }

    /// The exposition lines: HELP, TYPE, then one line per sample.
    var lines: [String] {
        ["# HELP \(name) \(help)", "# TYPE \(name) \(kind.rawValue)"]
            + samples.map { $0.labels.isEmpty ? "\(name) \($0.value)" : "\(name){\($0.labels)} \($0.value)" }
    }
}
