import NIOCore

/// The thin I/O layer of one leg socket: hands each datagram to the leg and writes what it says.
///
/// Writes to a bridged socket on the same event loop are batched and flushed at
/// `channelReadComplete` (so NIO can send them with one `sendmmsg`); writes to a socket on
/// another loop hop there one by one, bounded by `MediaLegStateMachine.maximumPendingHops`.
final class MediaLegHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    /// The leg the socket belongs to; nil while parked in the engine's socket pool (everything
    /// received is dropped then). Set on the channel's loop only.
    var leg: MediaLeg?
    private let kind: MediaStreamKind
    /// The same-loop socket written to since the last flush.
    private var pendingFlush: (any Channel)?

    init(leg: MediaLeg?, kind: MediaStreamKind) {
        self.leg = leg
        self.kind = kind
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let leg else { return }
        let envelope = unwrapInboundIn(data)
        let now = NIODeadline.now().uptimeNanoseconds
        guard let target = leg.datagramArrived(kind, envelope.data, from: envelope.remoteAddress, at: now) else {
            return
        }
        // The relayed packet is a copy sized to the datagram, so the receive buffer is free again at
        // once: NIO reuses a receive buffer only when nothing else holds it, and keeps every one it
        // had to add (up to `maxMessagesPerRead`, 16 × `maximumDatagramSize` per socket) for the
        // socket's life. Relaying the received buffer itself held them in the pending writes until
        // the flush, so one late read burst grew each busy socket's pool for good.
        var copy = context.channel.allocator.buffer(capacity: envelope.data.readableBytes)
        copy.writeImmutableBuffer(envelope.data)
        let outgoing = AddressedEnvelope(remoteAddress: target.destination, data: copy)
        if target.crossLoop {
            let channel = target.channel
            let receivingLeg = target.leg
            channel.eventLoop.execute {
                channel.writeAndFlush(outgoing, promise: nil)
                receivingLeg.hopCompleted()
            }
            return
        }
        if let pending = pendingFlush, pending !== target.channel {
            pending.flush()
        }
        target.channel.write(outgoing, promise: nil)
        pendingFlush = target.channel
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if let pending = pendingFlush {
            pendingFlush = nil
            pending.flush()
        }
        context.fireChannelReadComplete()
    }

    /// Datagram sockets report transient errors (e.g. ICMP unreachable); they must not end the leg.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {}
}
