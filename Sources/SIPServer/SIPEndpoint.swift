import NIOCore

/// Where a SIP message came from or goes to: the transport and the remote socket address.
package struct SIPEndpoint: Sendable, Hashable, CustomStringConvertible {
    package enum Transport: String, Sendable { case udp, tcp, tls }

    package let transport: Transport
    package let address: SocketAddress

    package init(transport: Transport, address: SocketAddress) {
        self.transport = transport
        self.address = address
    }

    package var ip: String { address.ipAddress ?? "" }
    package var port: Int { address.port ?? 0 }

    /// `ip:port`, IPv6 in brackets.
    package var hostPort: String { ip.hasColon ? "[\(ip)]:\(port)" : "\(ip):\(port)" }

    package var description: String { "\(transport.rawValue):\(hostPort)" }

    /// The key of the stream connection a message to this endpoint goes out on: `ip:port` for TCP,
    /// `tls:ip:port` for TLS (a TCP and a TLS connection may come from the same remote port).
    package var connectionKey: String { transport == .tls ? description : hostPort }
}

/// A message to send, possibly after a delay (slowed replies to failed digests).
package struct SIPOutbound: Sendable {
    package let destination: SIPEndpoint
    package let bytes: ByteBuffer
    package var delay: TimeAmount?

    package init(destination: SIPEndpoint, bytes: ByteBuffer, delay: TimeAmount? = nil) {
        self.destination = destination
        self.bytes = bytes
        self.delay = delay
    }
}
