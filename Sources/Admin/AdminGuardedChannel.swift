import HummingbirdCore
import Logging
import NIOCore

/// Wraps the admin server's HTTP child channel (HTTP/1, with or without the WebSocket upgrade) so
/// that the connection caps and the idle timeout hold from the moment a connection is accepted.
///
/// Hummingbird's WebSocket-upgrading channel adds `additionalChannelHandlers` and its idle timer only
/// once a first request head has arrived, so a client that connects and sends nothing would be
/// neither counted nor closed. These handlers go first in every pipeline instead (and the idle
/// timeout is only here: Hummingbird's HTTP/1 idle timer is not configured).
struct AdminGuardedChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    let base: Base
    /// Handlers of the listener (HTTPS: the TLS handshake timeout), first after the TLS handler.
    let extraHandlers: @Sendable () -> [any RemovableChannelHandler]
    let limiter: AdminConnectionLimiter
    let idleTimeout: TimeAmount
    let logger: Logger

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandlers(extraHandlers())
            try channel.pipeline.syncOperations.addHandlers([
                AMIWebSocketLingeringClose(),
                AdminConnectionLimitHandler(limiter: limiter, logger: self.logger),
                IdleStateHandler(allTimeout: idleTimeout),
                AdminIdleCloser(),
            ])
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

/// Closes a connection on which nothing was read or written for the idle timeout (a connection
/// that never sends a request, a stalled request head, a WebSocket that answers no ping).
final class AdminIdleCloser: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}
