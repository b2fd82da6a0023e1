import NIOCore

/// Where a TLS listener binds and what it serves with.
public struct TLSListenerSettings: Sendable {
    public var host: String
    public var port: Int
    public var credentials: TLSCredentials
    /// A connection whose TLS handshake has not completed this long after it opened is closed.
    public var handshakeTimeout: TimeAmount

    /// Ten seconds: a handshake is a few round trips; a stalled one must not hold a descriptor for
    /// the whole setup or login timeout (RFC 5246 leaves the value to the implementation).
    public static let defaultHandshakeTimeout: TimeAmount = .seconds(10)

    public init(host: String, port: Int, credentials: TLSCredentials, handshakeTimeout: TimeAmount = Self.defaultHandshakeTimeout) {
        self.host = host
        self.port = port
        self.credentials = credentials
        self.handshakeTimeout = handshakeTimeout
    }

    /// `HOST:PORT`, IPv6 hosts in brackets.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
