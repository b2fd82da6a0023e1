import NIOCore

/// A lingering close for WebSocket connections: when the server closes one, its output is shut down
/// first (the close frame and a FIN reach the client) and what the client still sends is read and
/// dropped until it closes too or `AMIWebSocketLingeringClose.grace` has passed; only then is the
/// socket closed.
///
/// Without it a frame over the frame limit (`AMIWebSocket.maximumFrame`) ended in a TCP reset: the
/// frame decoder refuses the frame from its header, NIO writes the close frame with 1009 and closes
/// the socket while most of the frame is still unread in the kernel, and closing a socket with
/// unread data sends RST, which makes the client's kernel discard the close frame it had received.
///
/// It sits first in every admin connection's pipeline (`AdminGuardedChannel`) and does nothing until
/// `AMIWebSocket` enables it on an upgraded connection; plain HTTP connections close as before.
/// Nothing read while lingering is kept: the grace bounds the time, not memory.
final class AMIWebSocketLingeringClose: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    typealias InboundOut = NIOAny
    typealias OutboundIn = NIOAny
    typealias OutboundOut = NIOAny

    /// Longest time a closing WebSocket connection is drained before its socket is closed anyway.
    static let grace = TimeAmount.seconds(2)

    private var enabled = false
    private var lingering = false
    private var closes: [EventLoopPromise<Void>] = []
    private var timer: Scheduled<Void>?

    /// Enables the lingering close on `channel` (a connection upgraded to a WebSocket).
    static func enable(on channel: any Channel) {
        channel.eventLoop.execute {
            (try? channel.pipeline.syncOperations.handler(type: AMIWebSocketLingeringClose.self))?.enabled = true
        }
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard enabled, mode == .all else {
            context.close(mode: mode, promise: promise)
            return
        }
        if let promise { closes.append(promise) }
        guard !lingering else { return }
        lingering = true
        // The close frame is written before the close arrives here; `.output` sends the FIN after it.
        context.close(mode: .output, promise: nil)
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: Self.grace) {
            let (handler, context) = bound.value
            handler.closeNow(context)
        }
        context.read()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !lingering else { return }  // dropped: the connection is closing
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        guard !lingering else {
            context.read()  // the WebSocket's reader has stopped asking: keep draining
            return
        }
        context.fireChannelReadComplete()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if lingering, case ChannelEvent.inputClosed = event {
            closeNow(context)  // the client closed its side: nothing more to drain
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if lingering {
            closeNow(context)  // e.g. the client reset the connection meanwhile
            return
        }
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish()
        context.fireChannelInactive()
    }

    private func closeNow(_ context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        let promise = context.eventLoop.makePromise(of: Void.self)
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        promise.futureResult.whenComplete { _ in bound.value.finish() }
        context.close(mode: .all, promise: promise)
    }

    private func finish() {
        timer?.cancel()
        timer = nil
        let pending = closes
        closes = []
        for promise in pending { promise.succeed() }
    }
}
