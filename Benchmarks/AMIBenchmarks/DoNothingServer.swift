import NIOCore
import NIOPosix

/// The baseline for AMI round trips: a NIO server that sends a banner and then answers every
/// message (anything up to a blank line) with the same fixed Ping reply, doing no other work.
enum DoNothingServer {
    static let reply = "Response: Success\r\nActionID: 1\r\nPing: Pong\r\nTimestamp: 1795755207.647570\r\n\r\n"

    final class Handler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        private var tail: UInt32 = 0
        private var pending = 0

        func channelActive(context: ChannelHandlerContext) {
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: "Asterisk Call Manager/9.0.0\r\n")), promise: nil)
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let bytes = unwrapInboundIn(data)
            var state = tail
            bytes.withUnsafeReadableBytes { raw in
                for byte in raw {
                    state = (state << 8) | UInt32(byte)
                    if state & 0xFFFF == 0x0A0A || state == 0x0D0A_0D0A { pending += 1 }
                }
            }
            tail = state
            while pending > 0 {
                pending -= 1
                context.write(wrapOutboundOut(ByteBuffer(string: DoNothingServer.reply)), promise: nil)
            }
        }

        func channelReadComplete(context: ChannelHandlerContext) {
            context.flush()
        }
    }

    static func run(port: Int) throws {
        let channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Handler()) }
            }
            .bind(host: "127.0.0.1", port: port).wait()
        print("do-nothing server listening on 127.0.0.1:\(port)")
        try channel.closeFuture.wait()
    }
}
