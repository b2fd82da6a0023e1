import Crypto
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// An action forwarded to the tenant's home node (`--cluster-bind`): the tenant, the AMI user it
/// runs as, and the action's headers in order. `api`: a REST request of the tenant's administrator
/// (`POST/GET/DELETE /api/v1/calls`), its operation in the headers and no AMI user.
public struct ClusterForwardedAction: Sendable, Equatable {
    public var tenant: UUID
    public var username: String
    public var headers: [ClusterEvent.Field]
    public var api: Bool

    public init(tenant: UUID, username: String, headers: [ClusterEvent.Field], api: Bool = false) {
        self.tenant = tenant
        self.username = username
        self.headers = headers
        self.api = api
    }
}

/// The home node's answer to a forwarded action: the response's fields, and the events of a
/// list-style response (`Event` first in each, then its fields in order, ActionID included).
public struct ClusterReply: Sendable, Equatable {
    public var fields: [ClusterEvent.Field]
    public var events: [[ClusterEvent.Field]]

    public init(fields: [ClusterEvent.Field], events: [[ClusterEvent.Field]] = []) {
        self.fields = fields
        self.events = events
    }
}

/// The bounds of forwarding (docs/security.md), from `--cluster-forward-timeout-seconds` and
/// `--cluster-forward-reply-bytes`.
public struct ClusterForwardLimits: Sendable, Equatable {
    /// How long the origin waits for a forwarded action's reply (a sync Originate waits for its call);
    /// then the session gets "Forwarded action timed out".
    public var timeout: TimeAmount
    /// The largest reply line (a Status or CoreShowChannels of many channels); a larger one is
    /// replaced by an error on the home node and refused by the origin.
    public var replyBytes: Int

    public static let standard = ClusterForwardLimits(timeout: .seconds(40), replyBytes: 4 << 20)
    public static let timeoutRange = 1...600
    public static let replyBytesRange = 65_536...(64 << 20)

    public init(timeout: TimeAmount, replyBytes: Int) {
        self.timeout = timeout
        self.replyBytes = replyBytes
    }
}

/// The internal line protocol between nodes, a request and its reply at a time per connection, each a line:
/// request `<hex HMAC-SHA256 of the JSON> <JSON>`, reply `<hex HMAC> <JSON>` (the response's fields).
/// The key is derived from the data directory's `secret.key`, which every node of a cluster shares.
/// A request carries its time and a nonce: one older or newer than `maximumSkew`, or a nonce seen
/// already, is refused (no replay).
public struct ClusterControlCodec: Sendable {
    private let keyBytes: Data
    private var key: SymmetricKey { SymmetricKey(data: keyBytes) }
    public static let maximumLine = 65_536
    public static let maximumSkew: Int64 = 30

    /// The key of the control protocol, derived from the node's secret key file's bytes.
    public init(secretKeyFile bytes: Data) {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("centralino cluster control v1".utf8), using: SymmetricKey(data: bytes))
        keyBytes = Data(mac)
    }

    private struct Request: Codable {
        var t: UUID
        var u: String
        var h: [ClusterEvent.Field]
        var at: Int64
        var n: String
        /// "api" for a REST request; absent for an AMI action.
        var k: String?
    }

    private struct Reply: Codable {
        var f: [ClusterEvent.Field]
        var e: [[ClusterEvent.Field]]?
        /// The request's nonce: a reply answers that request only.
        var n: String?
    }

    private func sign(_ json: Data) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: json, using: key)
        return mac.map { String(format: "%02x", $0) }.joined() + " " + String(decoding: json, as: UTF8.self)
    }

    private func verified(_ line: String) -> Data? {
        guard let space = line.firstIndex(of: " ") else { return nil }
        let json = Data(line[line.index(after: space)...].utf8)
        let expected = HMAC<SHA256>.authenticationCode(for: json, using: key).map { String(format: "%02x", $0) }.joined()
        let given = String(line[..<space])
        guard given.utf8.count == expected.utf8.count else { return nil }
        var difference: UInt8 = 0
        for (a, b) in zip(given.utf8, expected.utf8) { difference |= a ^ b }
        return difference == 0 ? json : nil
    }

    public func encodeRequest(_ action: ClusterForwardedAction, now: Int64, nonce: String) -> String {
        let request = Request(t: action.tenant, u: action.username, h: action.headers, at: now, n: nonce, k: action.api ? "api" : nil)
        return sign((try? JSONEncoder().encode(request)) ?? Data())
    }

    /// The action, when the line is signed with the cluster's key and fresh; with its nonce.
    public func decodeRequest(_ line: String, now: Int64) -> (action: ClusterForwardedAction, nonce: String)? {
        guard let json = verified(line), let request = try? JSONDecoder().decode(Request.self, from: json),
            abs(request.at - now) <= Self.maximumSkew, !request.n.isEmpty, request.n.utf8.count <= 64,
            request.k == nil || request.k == "api"
        else { return nil }
        return (ClusterForwardedAction(tenant: request.t, username: request.u, headers: request.h, api: request.k == "api"), request.n)
    }

    public func encodeReply(_ reply: ClusterReply, nonce: String) -> String {
        sign((try? JSONEncoder().encode(Reply(f: reply.fields, e: reply.events.isEmpty ? nil : reply.events, n: nonce))) ?? Data())
    }

    /// The reply to the request of `nonce`, when signed with the cluster's key.
    public func decodeReply(_ line: String, nonce: String) -> ClusterReply? {
        guard let json = verified(line), let reply = try? JSONDecoder().decode(Reply.self, from: json), reply.n == nonce else { return nil }
        return ClusterReply(fields: reply.f, events: reply.e ?? [])
    }
}

/// Nonces of the last `maximumSkew` × 2 seconds, bounded: a replayed request is refused.
struct ClusterNonces {
    static let maximum = 100_000
    private var seen: [String: Int64] = [:]

    mutating func admit(_ nonce: String, now: Int64) -> Bool {
        if seen.count >= Self.maximum { seen = seen.filter { now - $0.value <= 2 * ClusterControlCodec.maximumSkew } }
        guard seen.count < Self.maximum, seen[nonce] == nil else { return false }
        seen[nonce] = now
        return true
    }
}

/// The home node's side: listens on `--cluster-bind`, runs each verified action with `execute` (given
/// the connection, which closes when the origin gives up) and answers with its reply. At most
/// `maximumConnections` at once; a connection has `requestTimeout` to send its line, then the action
/// `limits.timeout` and a little more to answer; a reply over `limits.replyBytes` becomes an error.
/// After a reply the connection stays open for the origin's next action (one at a time; its pool of
/// control connections) and is closed after `idleTimeout` without one; a refused request closes it.
public final class ClusterControlServer: Sendable {
    public static let maximumConnections = 256
    public static let requestTimeout = TimeAmount.seconds(10)
    /// How long a connection waits for its next request after a reply (longer than the origin keeps
    /// an idle connection: `ClusterControlPool.maximumIdleAge`).
    public static let idleTimeout = TimeAmount.seconds(30)
    let codec: ClusterControlCodec
    let logger: Logger
    let limits: ClusterForwardLimits
    let execute: @Sendable (ClusterForwardedAction, any Channel) async -> ClusterReply
    private let nonces = NIOLockedValueBox(ClusterNonces())
    private let open = NIOLockedValueBox(0)
    private let channel: NIOLockedValueBox<(any Channel)?> = NIOLockedValueBox(nil)

    public init(
        codec: ClusterControlCodec, limits: ClusterForwardLimits = .standard, logger: Logger,
        execute: @escaping @Sendable (ClusterForwardedAction, any Channel) async -> ClusterReply
    ) {
        self.codec = codec
        self.limits = limits
        self.logger = logger
        self.execute = execute
    }

    /// How long the action may run before the connection is closed without a reply: the origin's
    /// timeout and 5 s more (the origin answers its session first).
    var replyTimeout: TimeAmount { limits.timeout + .seconds(5) }

    /// Binds; returns the address it listens on (`host:port`).
    public func bind(host: String, port: Int, group: any EventLoopGroup) async throws -> String {
        let bound = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                let admitted = self.open.withLockedValue { count in
                    guard count < Self.maximumConnections else { return false }
                    count += 1
                    return true
                }
                guard admitted else { return channel.close() }
                channel.closeFuture.whenComplete { _ in self.open.withLockedValue { $0 -= 1 } }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(LineDecoder(maximumLength: ClusterControlCodec.maximumLine)))
                    try channel.pipeline.syncOperations.addHandler(RequestHandler(server: self))
                }
            }
            .bind(host: host, port: port).get()
        channel.withLockedValue { $0 = bound }
        return bound.localAddress.map { "\($0.ipAddress ?? host):\($0.port ?? port)" } ?? "\(host):\(port)"
    }

    public func close() async {
        try? await channel.withLockedValue { $0 }?.close()
    }

    func handle(_ line: String, connection: any Channel) async -> String? {
        let now = Int64(Date().timeIntervalSince1970)
        guard let (action, nonce) = codec.decodeRequest(line, now: now), nonces.withLockedValue({ $0.admit(nonce, now: now) }) else {
            logger.warning("cluster control: request refused (bad signature, stale or replayed)")
            return nil
        }
        let reply = codec.encodeReply(await execute(action, connection), nonce: nonce)
        guard reply.utf8.count > limits.replyBytes else { return reply }
        logger.notice(
            "cluster control: forwarded reply over --cluster-forward-reply-bytes",
            metadata: ["bytes": "\(reply.utf8.count)", "limit": "\(limits.replyBytes)"])
        return codec.encodeReply(
            ClusterReply(fields: [.init("Response", "Error"), .init("Message", "Forwarded response too large")]), nonce: nonce)
    }

    private final class RequestHandler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let server: ClusterControlServer
        var done = false
        var deadline: Scheduled<Void>?

        init(server: ClusterControlServer) { self.server = server }

        func handlerAdded(context: ChannelHandlerContext) {
            let channel = context.channel
            deadline = context.eventLoop.scheduleTask(in: ClusterControlServer.requestTimeout) { channel.close(promise: nil) }
        }

        func handlerRemoved(context: ChannelHandlerContext) {
            deadline?.cancel()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            // One action at a time per connection: a second line before the reply breaks the protocol.
            guard !done else { return context.close(promise: nil) }
            done = true
            deadline?.cancel()
            let closing = context.channel
            deadline = context.eventLoop.scheduleTask(in: server.replyTimeout) { closing.close(promise: nil) }
            let line = String(buffer: unwrapInboundIn(data))
            let channel = context.channel
            let server = self.server
            let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
            Task {
                let reply = await server.handle(line, connection: channel)
                guard let reply else { return channel.close(promise: nil) }
                var buffer = channel.allocator.buffer(capacity: reply.utf8.count + 1)
                buffer.writeString(reply)
                buffer.writeString("\n")
                channel.eventLoop.execute {
                    // Open for the origin's next action (which cannot come before this reply), until idle too long.
                    let handler = bound.value
                    handler.done = false
                    handler.deadline?.cancel()
                    handler.deadline = channel.eventLoop.scheduleTask(in: ClusterControlServer.idleTimeout) { channel.close(promise: nil) }
                    channel.writeAndFlush(buffer).whenFailure { _ in channel.close(promise: nil) }
                }
            }
        }
    }
}

/// Lines up to `maximumLength` bytes; a longer one closes the connection.
struct LineDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer
    let maximumLength: Int

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
            if buffer.readableBytes > maximumLength { throw ClusterDisconnected() }
            return .needMoreData
        }
        let length = newline - buffer.readerIndex
        guard length <= maximumLength, let line = buffer.readSlice(length: length) else { throw ClusterDisconnected() }
        buffer.moveReaderIndex(forwardBy: 1)
        context.fireChannelRead(wrapInboundOut(line))
        return .continue
    }
}

/// What became of a forwarded action, on the origin node.
public enum ClusterSendResult: Sendable, Equatable {
    case answered(ClusterReply)
    /// No reply within `ClusterForwardLimits.timeout`.
    case timedOut
    /// The home node could not be reached, closed the connection, or answered nothing valid.
    case unanswered
}

/// Idle control connections to the peer nodes, at most `limit` per peer (`--cluster-control-pool`),
/// each kept at most `maximumIdleAge` (less than the home node's `ClusterControlServer.idleTimeout`).
/// The peers are the cluster's nodes (`cluster_node_control`), so the pool is bounded by both.
public final class ClusterControlPool: Sendable {
    public static let limitRange = 0...64
    public static let standardLimit = 8
    public static let maximumIdleAge = TimeAmount.seconds(20)
    let limit: Int
    private let idle = NIOLockedValueBox<[String: [ClusterControlClient.Connection]]>([:])

    public init(limit: Int) {
        self.limit = limit
    }

    /// The most recently used live connection to `address`; stale ones met on the way are closed.
    func take(_ address: String) -> ClusterControlClient.Connection? {
        let now = NIODeadline.now()
        let (found, stale) = idle.withLockedValue { idle -> (ClusterControlClient.Connection?, [ClusterControlClient.Connection]) in
            var stale: [ClusterControlClient.Connection] = []
            while let last = idle[address]?.popLast() {
                if last.channel.isActive, now - last.since < Self.maximumIdleAge { return (last, stale) }
                stale.append(last)
            }
            return (nil, stale)
        }
        for connection in stale { connection.channel.close(promise: nil) }
        return found
    }

    /// Keeps `connection` for the next action to `address`; closes it when the peer's share is full.
    func put(_ connection: ClusterControlClient.Connection, address: String) {
        let kept = idle.withLockedValue { idle -> Bool in
            guard (idle[address]?.count ?? 0) < limit else { return false }
            idle[address, default: []].append(connection)
            return true
        }
        if !kept { connection.channel.close(promise: nil) }
    }

    /// Idle connections now (tests, metrics).
    public func idleCount(_ address: String) -> Int {
        idle.withLockedValue { $0[address]?.count ?? 0 }
    }
}

/// The origin node's side: a connection per forwarded action, or one of the pool's idle ones. A
/// pooled connection found dead before its reply (the home node closed it, restarted) is replaced
/// by a new one and the same signed line sent again: a request that did reach the home node is
/// refused there as a replay (its nonce), so an action never runs twice.
public struct ClusterControlClient: Sendable {
    let codec: ClusterControlCodec
    let group: any EventLoopGroup
    let limits: ClusterForwardLimits
    let pool: ClusterControlPool?

    public init(codec: ClusterControlCodec, limits: ClusterForwardLimits = .standard, group: any EventLoopGroup, pool: ClusterControlPool? = nil) {
        self.codec = codec
        self.limits = limits
        self.group = group
        self.pool = pool.flatMap { $0.limit > 0 ? $0 : nil }
    }

    /// A control connection and its reply handler.
    struct Connection: Sendable {
        let channel: any Channel
        let handler: NIOLoopBound<ReplyHandler>
        var since: NIODeadline
    }

    /// Sends `action` to the home node at `address` and waits for its reply, at most `limits.timeout`.
    public func send(_ action: ClusterForwardedAction, to address: String) async -> ClusterSendResult {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) else { return .unanswered }
        let host = String(address[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        let nonce = UUID().uuidString
        let line = codec.encodeRequest(action, now: Int64(Date().timeIntervalSince1970), nonce: nonce)
        if let pooled = pool?.take(address) {
            let reply = await exchange(line, on: pooled)
            if reply != .closed { return finish(reply, connection: pooled, nonce: nonce, address: address) }
        }
        guard let connection = await connect(host: host, port: port) else { return .unanswered }
        return finish(await exchange(line, on: connection), connection: connection, nonce: nonce, address: address)
    }

    private func finish(_ reply: ReplyLine, connection: Connection, nonce: String, address: String) -> ClusterSendResult {
        switch reply {
        case .line(let text):
            guard let answer = codec.decodeReply(text, nonce: nonce) else {
                connection.channel.close(promise: nil)
                return .unanswered
            }
            if let pool {
                var kept = connection
                kept.since = .now()
                pool.put(kept, address: address)
            } else {
                connection.channel.close(promise: nil)
            }
            return .answered(answer)
        case .timedOut:
            connection.channel.close(promise: nil)
            return .timedOut
        case .closed:
            connection.channel.close(promise: nil)
            return .unanswered
        }
    }

    private func connect(host: String, port: Int) async -> Connection? {
        let replyBytes = limits.replyBytes
        let loop = group.next()
        do {
            let channel = try await ClientBootstrap(group: loop)
                .connectTimeout(.seconds(3))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineDecoder(maximumLength: replyBytes)))
                        try channel.pipeline.syncOperations.addHandler(ReplyHandler())
                    }
                }
                .connect(host: host, port: port).get()
            let handler = try await channel.eventLoop.submit {
                NIOLoopBound(try channel.pipeline.syncOperations.handler(type: ReplyHandler.self), eventLoop: channel.eventLoop)
            }.get()
            return Connection(channel: channel, handler: handler, since: .now())
        } catch {
            return nil
        }
    }

    /// Writes the line and waits for the reply line, the timeout or the connection's end.
    private func exchange(_ line: String, on connection: Connection) async -> ReplyLine {
        let channel = connection.channel
        let timeout = limits.timeout
        let handler = connection.handler
        let promise = channel.eventLoop.makePromise(of: ReplyLine.self)
        channel.eventLoop.execute {
            guard channel.isActive else { return promise.succeed(.closed) }
            handler.value.expect(promise)
            let timer = channel.eventLoop.scheduleTask(in: timeout) { promise.succeed(.timedOut) }
            promise.futureResult.whenComplete { _ in timer.cancel() }
            var buffer = channel.allocator.buffer(capacity: line.utf8.count + 1)
            buffer.writeString(line)
            buffer.writeString("\n")
            channel.writeAndFlush(buffer).whenFailure { _ in promise.succeed(.closed) }
        }
        return (try? await promise.futureResult.get()) ?? .closed
    }

    enum ReplyLine: Sendable, Equatable {
        case line(String)
        case timedOut
        case closed
    }

    /// The pending request's promise: a reply line, or the connection's end. A line with no request
    /// waiting, or a second one, closes the connection.
    final class ReplyHandler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        private var promise: EventLoopPromise<ReplyLine>?
        private var inactive = false

        func expect(_ promise: EventLoopPromise<ReplyLine>) {
            if inactive { return promise.succeed(.closed) }
            self.promise = promise
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard let promise else { return context.close(promise: nil) }
            self.promise = nil
            promise.succeed(.line(String(buffer: unwrapInboundIn(data))))
        }

        func channelInactive(context: ChannelHandlerContext) {
            inactive = true
            promise?.succeed(.closed)
            promise = nil
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            promise?.succeed(.closed)
            promise = nil
            context.close(promise: nil)
        }
    }
}
