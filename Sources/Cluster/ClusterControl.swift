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

/// The internal line protocol between nodes, one request and one reply per connection, each a line:
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
public final class ClusterControlServer: Sendable {
    public static let maximumConnections = 256
    public static let requestTimeout = TimeAmount.seconds(10)
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
            guard !done else { return }
            done = true
            deadline?.cancel()
            let closing = context.channel
            deadline = context.eventLoop.scheduleTask(in: server.replyTimeout) { closing.close(promise: nil) }
            let line = String(buffer: unwrapInboundIn(data))
            let channel = context.channel
            let server = self.server
            Task {
                let reply = await server.handle(line, connection: channel)
                var buffer = channel.allocator.buffer(capacity: (reply?.utf8.count ?? 0) + 1)
                if let reply {
                    buffer.writeString(reply)
                    buffer.writeString("\n")
                }
                channel.writeAndFlush(buffer).whenComplete { _ in channel.close(promise: nil) }
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

/// The origin node's side: one connection per forwarded action.
public struct ClusterControlClient: Sendable {
    let codec: ClusterControlCodec
    let group: any EventLoopGroup
    let limits: ClusterForwardLimits

    public init(codec: ClusterControlCodec, limits: ClusterForwardLimits = .standard, group: any EventLoopGroup) {
        self.codec = codec
        self.limits = limits
        self.group = group
    }

    /// Sends `action` to the home node at `address` and waits for its reply, at most `limits.timeout`.
    public func send(_ action: ClusterForwardedAction, to address: String) async -> ClusterSendResult {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) else { return .unanswered }
        let host = String(address[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        let nonce = UUID().uuidString
        let line = codec.encodeRequest(action, now: Int64(Date().timeIntervalSince1970), nonce: nonce)
        let loop = group.next()
        let promise = loop.makePromise(of: ReplyLine.self)
        let replyBytes = limits.replyBytes
        do {
            let channel = try await ClientBootstrap(group: loop)
                .connectTimeout(.seconds(3))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineDecoder(maximumLength: replyBytes)))
                        try channel.pipeline.syncOperations.addHandler(ReplyHandler(promise: promise))
                    }
                }
                .connect(host: host, port: port).get()
            let timer = loop.scheduleTask(in: limits.timeout) {
                promise.succeed(.timedOut)
                channel.close(promise: nil)
            }
            var buffer = channel.allocator.buffer(capacity: line.utf8.count + 1)
            buffer.writeString(line)
            buffer.writeString("\n")
            try await channel.writeAndFlush(buffer)
            let reply = try await promise.futureResult.get()
            timer.cancel()
            channel.close(promise: nil)
            switch reply {
            case .line(let text): return codec.decodeReply(text, nonce: nonce).map { .answered($0) } ?? .unanswered
            case .timedOut: return .timedOut
            case .closed: return .unanswered
            }
        } catch {
            promise.succeed(.closed)
            return .unanswered
        }
    }

    enum ReplyLine: Sendable {
        case line(String)
        case timedOut
        case closed
    }

    private final class ReplyHandler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        let promise: EventLoopPromise<ReplyLine>
        init(promise: EventLoopPromise<ReplyLine>) { self.promise = promise }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            promise.succeed(.line(String(buffer: unwrapInboundIn(data))))
        }

        func channelInactive(context: ChannelHandlerContext) {
            promise.succeed(.closed)
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            promise.succeed(.closed)
            context.close(promise: nil)
        }
    }
}
