import AMI
import Foundation
import Logging
import NIOCore
import NIOPosix

/// One AMI connection: banner, login, action dispatch, event delivery and flow control.
///
/// Runs on the channel's event loop. Responses are written in order and flushed at the end of each
/// read burst; Ping replies, the bulk of a pipelined burst, are gathered in one buffer (`outbound`) that
/// is written before anything else is; events arrive through an `AMIEventSubscriber` and are written
/// between actions.
/// When the socket stops being writable the handler stops reading (backpressure for pipelined
/// actions) and, if events are waiting, gives the client `writeTimeout` to drain before closing.
final class AMISessionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    static let banner = "Asterisk Call Manager/9.0.0\r\n"

    /// The session's phase; each case carries what is valid in it, and leaving a case (`enterClosing`)
    /// cancels what it held.
    enum State {
        /// Connected, not logged in: the MD5 challenge once the client asked for one, and the login
        /// deadline (`authtimeout`).
        case awaitingLogin(challenge: String?, deadline: Scheduled<Void>?)
        /// Logged in: the account, its event subscription, a WaitEvent in progress.
        case authenticated(Login)
        /// Refused, login failed, Logoff, or dropped for not reading: nothing more is read or run.
        case closing
    }

    struct Login {
        let entry: AMIDirectory.Entry
        let subscriber: AMIEventSubscriber
        let time: Double
        /// The challenge given before login: Challenge repeats it, as Asterisk keeps it for the session.
        var challenge: String?
        var waitEvent: PendingWaitEvent?
    }

    struct PendingWaitEvent {
        let actionID: String
        let timer: Scheduled<Void>?
    }

    // The handler's mutable properties are only touched on its event loop, one access at a time, and read
    // for every message: `@exclusivity(unchecked)` drops the runtime's dynamic exclusivity check (a
    // thread-local access set), which was a tenth of a pipelined Ping's CPU.
    let server: AMIServerContext
    @exclusivity(unchecked) var state = State.awaitingLogin(challenge: nil, deadline: nil)
    @exclusivity(unchecked) var pendingRead = false
    var writeTimer: Scheduled<Void>?
    /// How this connection counts against the server's connection limits.
    var counted = Counted.not
    enum Counted { case not, unauthenticated, authenticated }
    var remoteIP = ""
    var remotePort = 0
    var localIP = ""
    var localPort = 0
    var sessionID = ""
    /// A synchronous action (Originate) is running: later messages wait, as in Asterisk's session thread.
    @exclusivity(unchecked) var inFlight = false
    /// Async actions handed to the call engine and not yet started there.
    let pendingActions = PendingActions()
    /// Splits the input into messages, here rather than in a handler of its own: no pipeline hop per message.
    @exclusivity(unchecked) var decoder = AMIFrameDecoder()
    /// Bytes read and not yet decoded: a partial line, or messages that arrived while blocked (bounded
    /// by the reads in progress when the session blocked, since reading stops meanwhile).
    @exclusivity(unchecked) var input: ByteBuffer?
    /// Ping replies not yet handed to the channel: written (in order, before any other output) once
    /// another action runs, an event is written, the buffer reaches `outboundChunk`, or the read burst ends.
    @exclusivity(unchecked) var outbound: ByteBuffer?
    static let outboundChunk = 16 * 1024
    /// The catalog's Ping, looked up once: the Ping fast path checks its permission against the login's.
    let pingDescriptor: AMIActionDescriptor?
    /// Set by `mayPing` once the session is logged in with a login allowed to Ping.
    @exclusivity(unchecked) var pingAllowed = false

    /// Events are being filtered by regex off the event loop (`withQueuedEvents`): the session waits, so
    /// that responses and events keep their order.
    @exclusivity(unchecked) var filtering = false
    /// A WaitEvent ended (timer) while filtering: it is finished once the batch is written.
    var waitEventDue = false

    /// Messages wait (and the socket is not read) while an action runs, too many are pending, or events
    /// are being filtered.
    var isBlocked: Bool { inFlight || filtering || pendingActions.value >= server.configuration.maximumPendingActions }

    /// Set for a session bridged from another transport (the admin server's WebSocket): its client's
    /// addresses, and the API token login it starts with, if any.
    let bridged: AMIBridgedPeer?

    init(server: AMIServerContext, bridged: AMIBridgedPeer? = nil) {
        self.server = server
        self.bridged = bridged
        self.pingDescriptor = server.catalog.descriptor(named: "Ping")
    }

    // MARK: - Connection lifecycle

    func channelActive(context: ChannelHandlerContext) {
        if let bridged {
            (remoteIP, remotePort, localIP, localPort) = (bridged.remoteIP, bridged.remotePort, bridged.localIP, bridged.localPort)
        } else {
            remoteIP = context.remoteAddress?.ipAddress ?? ""
            remotePort = context.remoteAddress?.port ?? 0
            localIP = context.localAddress?.ipAddress ?? ""
            localPort = context.localAddress?.port ?? 0
        }
        sessionID = "0x" + String(UInt(bitPattern: ObjectIdentifier(self).hashValue), radix: 16)
        // An API token session is not a Login of an AMI user: no user's ACL applies (the token was checked).
        let admission = server.admit(address: remoteIP, requireACL: bridged?.token == nil)
        guard admission == .admitted else {
            refuseConnection(admission, context: context)
            return
        }
        counted = .unauthenticated
        server.track(context.channel)
        let deadline = schedule(in: server.configuration.authTimeout, context: context) { handler, context in
            guard case .awaitingLogin = handler.state else { return }
            handler.server.logger.info("AMI session closed: not authenticated in time", metadata: ["remote": "\(handler.remoteIP)"])
            context.close(promise: nil)
        }
        state = .awaitingLogin(challenge: nil, deadline: deadline)
        var buffer = context.channel.allocator.buffer(capacity: Self.banner.utf8.count)
        buffer.writeString(Self.banner)
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
        if let token = bridged?.token {
            tokenLogin(token, context: context)
            context.flush()
        }
        context.fireChannelActive()
    }

    /// Closes a connection the server does not admit, before any banner. Refusals are logged (at most
    /// `AMIServerContext.refusalLogLimit` per window, so a flood cannot flood the log).
    private func refuseConnection(_ admission: AMIServerContext.Admission, context: ChannelHandlerContext) {
        state = .closing
        context.close(promise: nil)
        let now = AMIServerContext.now()
        let (log, suppressed) = server.mayLogRefusal(now: now)
        guard log else { return }
        if suppressed > 0 {
            server.logger.warning("AMI connections refused and not logged (log limit)", metadata: ["count": "\(suppressed)"])
        }
        switch admission {
        case .admitted:
            return
        case .outsideEveryACL:
            // As Asterisk closes a denied address: no banner, and no slot of the limits taken.
            server.bus.publishSecurity(AMISecurityEvent(.failedACL, session: securitySession(account: "")), tenant: nil, now: now)
        case .tooManyConnections:
            server.logger.warning("AMI connection refused: too many AMI connections", metadata: ["remote": "\(remoteIP)"])
        case .tooManyUnauthenticated:
            server.logger.warning("AMI connection refused: too many unauthenticated sessions", metadata: ["remote": "\(remoteIP)"])
        case .tooManyUnauthenticatedFromAddress:
            server.logger.warning("AMI connection refused: too many unauthenticated sessions from this address", metadata: ["remote": "\(remoteIP)"])
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        switch counted {
        case .not: break
        case .unauthenticated: server.closed(address: remoteIP, authenticated: false)
        case .authenticated: server.closed(address: remoteIP, authenticated: true)
        }
        counted = .not
        outbound = nil
        input = nil
        enterClosing()
        writeTimer?.cancel()
        server.untrack(context.channel)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        server.logger.debug("AMI connection error", metadata: ["remote": "\(remoteIP)", "error": "\(error)"])
        context.close(promise: nil)
    }

    // MARK: - Reading and flow control

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .closing = state { return }
        var bytes = unwrapInboundIn(data)
        let adopted: Bool
        if var buffered = input, buffered.readableBytes > 0 {
            input = nil  // unique: the append below happens in place
            buffered.writeBuffer(&bytes)
            input = buffered
            adopted = false
        } else {
            input = bytes
            adopted = true
        }
        if let buffered = input, buffered.readableBytes > AMIServer.maximumInputBuffer {
            input = nil
            errorCaught(context: context, error: ByteToMessageDecoderError.PayloadTooLargeError())
            return
        }
        runInput(context: context, afterRead: true)
        // What is left (a partial line, or what waits while blocked) moves to a buffer of its own: holding
        // on to the read's buffer would keep it out of NIO's receive-buffer pool, which would then add
        // another buffer to the pool for good.
        if adopted, let rest = input {
            var own = context.channel.allocator.buffer(capacity: rest.readableBytes)
            own.writeImmutableBuffer(rest)
            input = own
        }
    }

    /// Decodes and runs the buffered messages until the input runs out, an action blocks the session or it
    /// closes. Right after a read, a WaitEvent in progress ends before the next message and the events an
    /// action raised follow its response, as Asterisk flushes them after each action.
    func runInput(context: ChannelHandlerContext, afterRead: Bool) {
        while !isBlocked, var buffered = input {
            if case .closing = state {
                input = nil
                return
            }
            input = nil  // unique while decoding
            let inbound: AMIInbound?
            do {
                inbound = try decoder.decode(buffer: &buffered)
            } catch {
                errorCaught(context: context, error: error)
                return
            }
            input = buffered.readableBytes > 0 ? buffered : nil
            guard let inbound else { return }
            guard afterRead else {
                handle(inbound, context: context)
                continue
            }
            if case .authenticated(let login) = state, login.waitEvent != nil { finishWaitEvent(context: context) }
            // Ping raises no event: events that arrive meanwhile are written by the subscriber's wake-up,
            // right after this read burst, as if they had arrived a moment later.
            if handle(inbound, context: context) == .ping { continue }
            if case .authenticated(let login) = state, login.subscriber.hasQueued {
                drainEvents(context: context)
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        emitOutbound(context: context)
        context.flush()
    }

    func read(context: ChannelHandlerContext) {
        if case .closing = state { return }
        if context.channel.isWritable, !isBlocked {
            context.read()
        } else {
            pendingRead = true
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            writeTimer?.cancel()
            writeTimer = nil
            drainEvents(context: context)
            if pendingRead {
                pendingRead = false
                read(context: context)
            }
        }
        context.fireChannelWritabilityChanged()
    }

    /// After a synchronous action: run what arrived meanwhile, then read again.
    func resumeAfterAction(context: ChannelHandlerContext) {
        inFlight = false
        resumeIfUnblocked(context: context)
    }

    /// Runs the messages that arrived while blocked, while nothing blocks the session, then reads again.
    func resumeIfUnblocked(context: ChannelHandlerContext) {
        runInput(context: context, afterRead: false)
        emitOutbound(context: context)
        context.flush()
        if !isBlocked, pendingRead {
            pendingRead = false
            read(context: context)
        }
        if case .authenticated(let login) = state, login.subscriber.hasQueued { drainEvents(context: context) }
    }

    /// Leaves the current phase for `.closing`, ending what belonged to it: the login deadline, or the
    /// event subscription and a pending WaitEvent (a session that logged off takes no more events).
    func enterClosing() {
        switch state {
        case .awaitingLogin(_, let deadline):
            deadline?.cancel()
        case .authenticated(let login):
            login.waitEvent?.timer?.cancel()
            server.bus.unsubscribe(login.subscriber)
            server.logger.info("AMI session ended", metadata: ["user": "\(login.entry.account.username)", "remote": "\(remoteIP)"])
        case .closing:
            break
        }
        state = .closing
    }

    /// Changes the logged-in session in place; nothing happens before login or while closing.
    func updateLogin(_ change: (inout Login) -> Void) {
        guard case .authenticated(var login) = state else { return }
        change(&login)
        state = .authenticated(login)
    }

    /// A successful login: the connection leaves the unauthenticated limits.
    func countLoggedIn() {
        guard counted == .unauthenticated else { return }
        server.loggedIn(address: remoteIP)
        counted = .authenticated
    }

    // MARK: - Writing

    /// Hands the gathered Ping replies to the channel (not flushed). Every other write comes after this.
    func emitOutbound(context: ChannelHandlerContext) {
        guard let buffer = outbound else { return }
        outbound = nil
        context.write(wrapOutboundOut(buffer), promise: nil)
    }

    func send(_ response: AMIResponse, context: ChannelHandlerContext) {
        emitOutbound(context: context)
        var buffer = context.channel.allocator.buffer(capacity: 128)
        response.write(to: &buffer)
        context.write(wrapOutboundOut(buffer), promise: nil)
    }

    /// Closes once everything written so far has been flushed.
    func sendAndClose(_ response: AMIResponse, context: ChannelHandlerContext) {
        enterClosing()
        emitOutbound(context: context)
        var buffer = context.channel.allocator.buffer(capacity: 128)
        response.write(to: &buffer)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(buffer)).whenComplete { _ in channel.close(promise: nil) }
    }

    /// Runs `body` on this handler after `delay`, on the channel's event loop.
    func schedule(
        in delay: TimeAmount, context: ChannelHandlerContext,
        _ body: @escaping (AMISessionHandler, ChannelHandlerContext) -> Void
    ) -> Scheduled<Void> {
        let bound = NIOLoopBound((self, context, body), eventLoop: context.eventLoop)
        return context.eventLoop.scheduleTask(in: delay) {
            let (handler, context, body) = bound.value
            body(handler, context)
        }
    }

    // MARK: - Events

    /// Writes queued events if the socket takes them; otherwise starts the write timeout.
    func drainEvents(context: ChannelHandlerContext) {
        guard !filtering, case .authenticated(let login) = state else { return }
        if login.waitEvent != nil, login.subscriber.hasQueued {
            finishWaitEvent(context: context)
            return
        }
        guard context.channel.isWritable else {
            login.subscriber.wakeHandled()
            if login.subscriber.hasQueued, writeTimer == nil {
                writeTimer = schedule(in: server.configuration.writeTimeout, context: context) { handler, context in
                    handler.writeTimedOut(context: context)
                }
            }
            return
        }
        withQueuedEvents(context: context) { handler, context, events in
            guard !events.isEmpty else { return }
            handler.emitOutbound(context: context)
            for event in events {
                context.write(handler.wrapOutboundOut(event), promise: nil)
            }
            context.flush()
        }
    }

    /// Takes the queued events and hands `body` those that pass the session's filters: at once when no
    /// filter uses a regex (the others ran as each event was delivered), otherwise after the regexes ran on
    /// the AMI pattern worker (`AMIPatternWorker`, sessions in turns), as Hangup's `/regex/` does, so a
    /// session's patterns never hold an event loop (which it shares with other sessions and the call
    /// engine) nor another session's turn. One batch at a time; the session reads nothing meanwhile.
    func withQueuedEvents(
        context: ChannelHandlerContext, _ body: @escaping (AMISessionHandler, ChannelHandlerContext, [ByteBuffer]) -> Void
    ) {
        guard case .authenticated(let login) = state else { return }
        let (events, regexFilters) = login.subscriber.takeQueued()
        guard let filters = regexFilters, !events.isEmpty else { return body(self, context, events) }
        filtering = true
        let bound = NIOLoopBound((self, context, body), eventLoop: context.eventLoop)
        server.patternWorker.filter(events, filters, channel: context.channel).whenComplete { result in
            let (handler, context, body) = bound.value
            handler.filtering = false
            guard case .authenticated = handler.state else { return }
            let passed = (try? result.get()) ?? []
            body(handler, context, passed)
            if handler.waitEventDue {
                handler.waitEventDue = false
                handler.finishWaitEvent(context: context)
            }
            if !handler.isBlocked { handler.resumeIfUnblocked(context: context) }
        }
    }

    func eventQueueOverflowed(context: ChannelHandlerContext) {
        guard case .authenticated(let login) = state else { return }
        server.logger.warning(
            "AMI session disconnected: it does not read its events (queue full)",
            metadata: ["user": "\(login.entry.account.username)", "remote": "\(remoteIP)"])
        enterClosing()
        context.close(promise: nil)
    }

    func writeTimedOut(context: ChannelHandlerContext) {
        writeTimer = nil
        guard case .authenticated(let login) = state, !context.channel.isWritable, login.subscriber.hasQueued else { return }
        server.logger.warning(
            "AMI session disconnected: event write stalled past the write timeout",
            metadata: ["user": "\(login.entry.account.username)", "remote": "\(remoteIP)"])
        enterClosing()
        context.close(promise: nil)
    }

    /// Ends a WaitEvent: its response, the events that were waiting, then `WaitEventComplete`.
    func finishWaitEvent(context: ChannelHandlerContext) {
        if filtering {
            waitEventDue = true
            return
        }
        guard case .authenticated(var login) = state, let pending = login.waitEvent else { return }
        login.waitEvent = nil
        state = .authenticated(login)
        pending.timer?.cancel()
        withQueuedEvents(context: context) { handler, context, events in
            handler.emitOutbound(context: context)
            handler.send(.success(pending.actionID, message: "Waiting for Event completed."), context: context)
            for event in events {
                context.write(handler.wrapOutboundOut(event), promise: nil)
            }
            var buffer = context.channel.allocator.buffer(capacity: 64)
            AMIEvent.writeListItem(
                "WaitEventComplete", fields: pending.actionID.isEmpty ? [] : [("ActionID", pending.actionID)], to: &buffer)
            context.writeAndFlush(handler.wrapOutboundOut(buffer), promise: nil)
        }
    }
}
