import NIOConcurrencyHelpers

/// Counters served at `/metrics` in Prometheus' text format. The admin panel counts its own logins;
/// the server feeds AMI logins and originates through `record(_:)`. Gauges (sessions,
/// registrations, calls) are read from `AdminLiveStatus` at scrape time.
public final class CentralinoMetrics: Sendable {
    /// Something that happened, to be counted.
    public enum Event: Sendable {
        case adminLogin(succeeded: Bool)
        case amiLogin(succeeded: Bool)
        /// An Originate's outcome: `success`, `failure`, `denied`, `timeout`…
        case originate(result: String)
    }

    private struct Key: Hashable, Comparable {
        let name: String
        let labels: String
        static func < (lhs: Key, rhs: Key) -> Bool { (lhs.name, lhs.labels) < (rhs.name, rhs.labels) }
    }

    static let help: [String: String] = [
        "centralino_admin_logins_total": "Admin panel logins by result.",
        "centralino_ami_logins_total": "AMI logins by result.",
        "centralino_originates_total": "AMI Originate actions by result.",
    ]

    private let counters = NIOLockedValueBox<[Key: Int]>([
        Key(name: "centralino_admin_logins_total", labels: "result=\"ok\""): 0,
        Key(name: "centralino_admin_logins_total", labels: "result=\"failed\""): 0,
        Key(name: "centralino_ami_logins_total", labels: "result=\"ok\""): 0,
        Key(name: "centralino_ami_logins_total", labels: "result=\"failed\""): 0,
    ])

    public init() {}

    public func record(_ event: Event) {
        let key: Key
        switch event {
        case .adminLogin(let ok): key = Key(name: "centralino_admin_logins_total", labels: "result=\"\(ok ? "ok" : "failed")\"")
        case .amiLogin(let ok): key = Key(name: "centralino_ami_logins_total", labels: "result=\"\(ok ? "ok" : "failed")\"")
        case .originate(let result): key = Key(name: "centralino_originates_total", labels: "result=\"\(Self.escape(result))\"")
        }
        counters.withLockedValue { $0[key, default: 0] += 1 }
    }

    /// The current value of a counter (for tests).
    public func value(_ name: String, labels: String) -> Int {
        counters.withLockedValue { $0[Key(name: name, labels: labels)] ?? 0 }
    }

    /// The exposition text: every counter, the server's counters, then the given gauges (name, help, value).
    func render(gauges: [(name: String, help: String, value: Int)], serverCounters: [(name: String, help: String, value: Int)] = []) -> String {
        var lines: [String] = []
        let snapshot = counters.withLockedValue { $0 }
        var names = Set(snapshot.keys.map(\.name))
        names.insert("centralino_originates_total")
        for name in names.sorted() {
            lines.append("# HELP \(name) \(Self.help[name] ?? name)")
            lines.append("# TYPE \(name) counter")
            for key in snapshot.keys.filter({ $0.name == name }).sorted() {
                lines.append("\(name){\(key.labels)} \(snapshot[key] ?? 0)")
            }
        }
        for counter in serverCounters {
            lines.append("# HELP \(counter.name) \(counter.help)")
            lines.append("# TYPE \(counter.name) counter")
            lines.append("\(counter.name) \(counter.value)")
        }
        for gauge in gauges {
            lines.append("# HELP \(gauge.name) \(gauge.help)")
            lines.append("# TYPE \(gauge.name) gauge")
            lines.append("\(gauge.name) \(gauge.value)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }
}
