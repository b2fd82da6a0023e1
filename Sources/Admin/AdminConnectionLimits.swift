import NIOCore

/// Caps on the HTTP listener's connections (panel, REST API, `/healthz`, `/metrics`), so a peer
/// holding idle connections cannot take the descriptors every other client needs. `serve` derives
/// the defaults from the process's descriptor limit.
public struct AdminConnectionLimits: Sendable {
    /// Connections open at once; more are closed on accept.
    public var total: Int
    /// Connections open at once from one source address (the socket's, never X-Forwarded-For).
    public var perAddress: Int
    /// A connection with no request or response traffic this long is closed (Hummingbird's idle timeout).
    public var idleTimeout: TimeAmount

    /// Defaults for a 4,096-descriptor process: 504 in total, 64 per address, 60 s idle.
    public init(total: Int = 504, perAddress: Int = 64, idleTimeout: TimeAmount = .seconds(60)) {
        self.total = max(1, total)
        self.perAddress = max(1, perAddress)
        self.idleTimeout = idleTimeout
    }
}
