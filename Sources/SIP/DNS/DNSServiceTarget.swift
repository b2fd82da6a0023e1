/// Where RFC 3263 says to send a request: a host and port, from an SRV record or the default.
public struct DNSServiceTarget: Sendable, Equatable {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// SRV answers in the order to try them (RFC 2782): lowest priority first, then highest weight
    /// (a deterministic stand-in for the weighted random choice). A target of "." means the
    /// service is not offered there: no targets.
    public static func ordered(_ records: [DNSRecord]) -> [DNSServiceTarget] {
        let services = records.compactMap { record -> (UInt16, UInt16, DNSServiceTarget)? in
            guard case .srv(let priority, let weight, let port, let target) = record.data, !target.isEmpty, port > 0 else { return nil }
            return (priority, weight, DNSServiceTarget(host: target, port: Int(port)))
        }
        return services.sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 > $1.1 }.map(\.2)
    }
}
