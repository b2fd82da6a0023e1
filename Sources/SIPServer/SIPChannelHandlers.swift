import Foundation
import NIOCore
import SIP

/// Time inputs for the SIP core: a monotonic deadline for transaction timers and wall-clock
/// seconds for registration expiry (which must survive restarts).
package enum SIPClock {
    package static func wallSeconds() -> UInt64 { UInt64(Date().timeIntervalSince1970) }
}

/// UDP: one datagram is one message. Malformed requests get their 400; nothing stops the socket.
final class SIPDatagramHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let core: SIPCore
    private let hub: SIPTransportHub
    private let parser = SIPMessageParser()

    init(core: SIPCore, hub: SIPTransportHub) {
        self.core = core
        self.hub = hub
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        let source = SIPEndpoint(transport: .udp, address: envelope.remoteAddress)
        var buffer = envelope.data
        let outbound: [SIPOutbound]
        do {
            guard let message = try parser.parseDatagram(&buffer) else { return }
            outbound = core.receive(message, from: source, now: .now(), wallClock: SIPClock.wallSeconds())
        } catch {
            outbound = core.malformed(error, from: source)
        }
        outbound.forEach(hub.send)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // ICMP errors and the like: the socket stays open.
    }
}

/// TCP and TLS: messages framed by Content-Length. A framing error closes the connection after its 400.
/// Each whole message is reported to the connection's guard (it is then no longer "never valid").
final class SIPStreamHandler: ChannelInboundHandler {
    typealias InboundIn = SIPStreamDecoder.Inbound

    private let core: SIPCore
    private let hub: SIPTransportHub
    private let connectionGuard: SIPConnectionGuard?
    private let transport: SIPEndpoint.Transport
    private var source: SIPEndpoint?

    init(core: SIPCore, hub: SIPTransportHub, connectionGuard: SIPConnectionGuard? = nil, transport: SIPEndpoint.Transport = .tcp) {
        self.core = core
        self.hub = hub
        self.connectionGuard = connectionGuard
        self.transport = transport
    }

    func channelActive(context: ChannelHandlerContext) {
        if let address = context.remoteAddress {
            let endpoint = SIPEndpoint(transport: transport, address: address)
            source = endpoint
            hub.addTCP(context.channel, remote: endpoint.connectionKey)
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let source { hub.removeTCP(remote: source.connectionKey) }
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let source else { return }
        let outbound: [SIPOutbound]
        switch unwrapInboundIn(data) {
        case .message(let message):
            connectionGuard?.validMessageReceived()
            outbound = core.receive(message, from: source, now: .now(), wallClock: SIPClock.wallSeconds())
        case .malformed(let error):
            outbound = core.malformed(error, from: source)
        case .keepAlive:
            // RFC 5626 §4.4.1: a CRLFCRLF ping gets a CRLF pong (over TLS too: written through the pipeline).
            context.channel.writeAndFlush(ByteBuffer(string: "\r\n"), promise: nil)
            outbound = []
        }
        outbound.forEach(hub.send)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let source, let parseError = error as? SIPParseError {
            core.malformed(parseError, from: source).forEach(hub.send)
        }
        context.close(promise: nil)
    }
}
