import Logging
import NIOCore

/// First handler of every SIP/TCP connection: admits it under the connection caps (closing it at
/// once otherwise) and closes it when idle:
/// - a connection that has sent no valid SIP message `setupTimeout` after it opened (an idle or
///   garbage-sending stranger holds no descriptor for long);
/// - one that did, after `idleTimeout` without receiving a byte (a CRLF keep-alive counts), unless a
///   registration through it is still valid (calls to that phone go out on this connection).
final class SIPConnectionGuard: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let book: SIPConnectionBook
    private let setupTimeout: TimeAmount
    private let idleTimeout: TimeAmount
    private let logger: Logger
    private var admitted: (ip: String, hostPort: String)?
    private var openedAt = NIODeadline.now()
    private var lastRead = NIODeadline.now()
    private var sawValidMessage = false
    private var timer: Scheduled<Void>?
    private var context: ChannelHandlerContext?

    init(book: SIPConnectionBook, setupTimeout: TimeAmount, idleTimeout: TimeAmount, logger: Logger) {
        self.book = book
        self.setupTimeout = setupTimeout
        self.idleTimeout = idleTimeout
        self.logger = logger
    }

    /// The stream handler parsed a whole SIP message (request or response) on this connection: from now
    /// on the idle timeout applies instead of the setup timeout.
    func validMessageReceived() {
        guard !sawValidMessage else { return }
        sawValidMessage = true
        if let context, admitted != nil { schedule(at: lastRead + idleTimeout, context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        guard let address = context.remoteAddress, let ip = address.ipAddress, let port = address.port else {
            context.close(promise: nil)
            return
        }
        let endpoint = SIPEndpoint(transport: .tcp, address: address)
        if let refusal = book.admit(ip, hostPort: endpoint.hostPort) {
            logger.debug("SIP/TCP connection refused", metadata: ["from": "\(ip):\(port)", "reason": "\(refusal)"])
            context.close(promise: nil)
            return
        }
        admitted = (ip, endpoint.hostPort)
        self.context = context
        openedAt = .now()
        lastRead = openedAt
        schedule(at: openedAt + setupTimeout, context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        self.context = nil
        if let admitted {
            book.release(admitted.ip, hostPort: admitted.hostPort)
            self.admitted = nil
            context.fireChannelInactive()
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard admitted != nil else { return }
        lastRead = .now()
        context.fireChannelRead(data)
    }

    private func schedule(at deadline: NIODeadline, context: ChannelHandlerContext) {
        timer?.cancel()
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(deadline: deadline) {
            let (handler, context) = bound.value
            handler.check(context: context)
        }
    }

    private func check(context: ChannelHandlerContext) {
        guard let admitted else { return }
        let now = NIODeadline.now()
        if !sawValidMessage {
            guard now >= openedAt + setupTimeout else { return schedule(at: openedAt + setupTimeout, context: context) }
            logger.debug("SIP/TCP connection closed: no valid message", metadata: ["from": "\(admitted.hostPort)"])
            return close(context: context)
        }
        let idleDeadline = lastRead + idleTimeout
        if now < idleDeadline { return schedule(at: idleDeadline, context: context) }
        let wallNow = SIPClock.wallSeconds()
        if let held = book.heldUntil(admitted.hostPort), held > wallNow {
            return schedule(at: now + min(idleTimeout, .seconds(Int64(clamping: held - wallNow))), context: context)
        }
        logger.debug("SIP/TCP connection closed: idle", metadata: ["from": "\(admitted.hostPort)"])
        close(context: context)
    }

    private func close(context: ChannelHandlerContext) {
        book.countIdleClose()
        context.close(promise: nil)
    }
}
