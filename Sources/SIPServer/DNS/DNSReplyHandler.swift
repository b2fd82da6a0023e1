import NIOCore
import SIP

/// Completes `promise` with the first reply from `nameserver` carrying the query's id (RFC 5452:
/// other datagrams, from anyone else or with another id, are ignored). Malformed replies are
/// ignored too; the caller's timeout ends the wait.
final class DNSReplyHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let id: UInt16
    private let nameserver: SocketAddress
    private let promise: EventLoopPromise<DNSMessage?>

    init(id: UInt16, nameserver: SocketAddress, promise: EventLoopPromise<DNSMessage?>) {
        self.id = id
        self.nameserver = nameserver
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        guard envelope.remoteAddress == nameserver,
            let message = try? DNSMessage(decoding: Array(envelope.data.readableBytesView)), message.id == id
        else { return }
        promise.succeed(message)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // ICMP port unreachable and the like: no answer from this server.
        promise.succeed(nil)
    }
}
