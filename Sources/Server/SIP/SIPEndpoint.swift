import NIOCore

/// Where a SIP message came from or goes to: the transport and the remote socket address.
struct SIPEndpoint: Sendable, Hashable, CustomStringConvertible {
    enum Transport: String, Sendable { case udp, tcp, tls }

    let transport: Transport
    let address: SocketAddress

    var ip: String { address.ipAddress ?? "" }
    var port: Int { address.port ?? 0 }

    /// `ip:port`, IPv6 in brackets.
    var hostPort: String { ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)" }

    var description: String { "\(transport.rawValue):\(hostPort)" }

    /// The key of the stream connection a message to this endpoint goes out on: `ip:port` for TCP,
    /// `tls:ip:port` for TLS (a TCP and a TLS connection may come from the same remote port).
    var connectionKey: String { transport == .tls ? description : hostPort }
}

/// A message to send, possibly after a delay (slowed replies to failed digests).
struct SIPOutbound: Sendable {
    let destination: SIPEndpoint
    let bytes: ByteBuffer
    var delay: TimeAmount?
}
