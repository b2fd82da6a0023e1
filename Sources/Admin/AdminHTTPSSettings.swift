import NIOCore
import NIOSSL

/// The HTTPS listener of the panel and API (`--https-bind`): same routes, sessions and connection
/// caps as the HTTP one.
public struct AdminHTTPSSettings: Sendable {
    public var host: String
    public var port: Int
    /// The server configuration (certificate, key, TLS 1.2 or later).
    public var tlsConfiguration: TLSConfiguration
    /// Extra handlers for each connection, after the TLS handler (the node's handshake timeout).
    public var handlers: @Sendable () -> [any RemovableChannelHandler]

    public init(
        host: String, port: Int, tlsConfiguration: TLSConfiguration,
        handlers: @escaping @Sendable () -> [any RemovableChannelHandler] = { [] }
    ) {
        self.host = host
        self.port = port
        self.tlsConfiguration = tlsConfiguration
        self.handlers = handlers
    }

    /// `HOST:PORT`, IPv6 hosts in brackets.
    public var address: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
