import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Opens the AMI session behind a WebSocket: the node's AMI server (`AMIServer.openBridgedSession`),
/// which runs the normal AMI session on one end of a socket pair and returns the other end.
public protocol AMISessionOpener: Sendable {
    /// The returned channel carries AMI's text protocol both ways; `sessionClosed` completes when the
    /// AMI session itself has closed.
    func openSession(
        _ client: AMIWebSocketClient
    ) async throws -> (channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>, sessionClosed: EventLoopFuture<Void>)
}

/// Who is behind a WebSocket: its addresses and, when its upgrade carried an API token, the tenant it
/// is logged in as (nil: the client logs in with AMI's Login action).
public struct AMIWebSocketClient: Sendable {
    public var remoteIP: String
    public var remotePort: Int
    public var localIP: String
    public var localPort: Int
    public var tokenTenant: UUID?
    /// The name the session's logs and security events show for a token login (`api:<admin login>`).
    public var tokenName: String
}

/// `/api/v1/ami/ws`: the AMI server that sessions are opened on, and the WebSocket's own limits.
public struct AMIWebSocketSettings: Sendable {
    public var opener: any AMISessionOpener
    /// Largest WebSocket message (and frame) taken from a client, bytes; larger closes with 1009.
    public var maximumMessageSize: Int
    /// WebSocket AMI sessions open at once on this node; more are refused (503, or close 1013).
    public var maximumSessions: Int

    public static let defaultMaximumMessageSize = 65536
    public static let defaultMaximumSessions = 256

    public init(opener: any AMISessionOpener, maximumMessageSize: Int = defaultMaximumMessageSize, maximumSessions: Int = defaultMaximumSessions) {
        self.opener = opener
        self.maximumMessageSize = maximumMessageSize
        self.maximumSessions = maximumSessions
    }
}

/// The request context of the WebSocket upgrade router: the client's addresses and the channel (so the
/// bridge can drop a client that no longer reads).
public struct AMIWebSocketRequestContext: RequestContext, WebSocketRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let webSocket: WebSocketHandlerReference<Self>
    let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        webSocket = .init()
        channel = source.channel
    }
}

/// The WebSocket AMI endpoint: who may upgrade, and the bridge between WebSocket messages (JSON
/// objects) and the AMI session's text.
final class AMIWebSocket: Sendable {
    static let path = "/api/v1/ami/ws"
    /// Longest unfinished AMI message the bridge holds (the session's own messages are far smaller).
    static let maximumAMIMessage = 1 << 20
    /// Largest WebSocket frame read at all: NIO's frame decoder refuses a larger one from its header
    /// and closes with 1009; `AMIWebSocketLingeringClose` drains the rest of it so that the close frame
    /// is not lost to a TCP reset. Messages over `--ami-ws-max-message-bytes` (at most this) get a close
    /// handshake, 1009, too.
    static let maximumFrame = 1 << 20
    /// After the AMI session closed, how long its last messages may take to reach the client before
    /// the WebSocket is dropped (a client that stopped reading).
    static let closeGrace: Duration = .seconds(2)

    let app: AdminApp
    let settings: AMIWebSocketSettings
    private let open = NIOLockedValueBox(0)

    init(app: AdminApp, settings: AMIWebSocketSettings) {
        self.app = app
        self.settings = settings
    }

    var openSessions: Int { open.withLockedValue { $0 } }

    /// How a request to the endpoint is answered.
    enum Decision {
        /// Upgrade; the client logs in with AMI's Login action.
        case login
        /// Upgrade, logged in by the API token as this tenant.
        case token(tenant: UUID, name: String)
        /// No upgrade: this status and JSON error.
        case refused(HTTPResponse.Status, code: String, message: String)
    }

    /// Without `Authorization`, the upgrade is allowed and the first action must be Login (cookies are
    /// never looked at: a panel session alone authenticates nothing here). With a Bearer token, the
    /// token must be valid and name one tenant: a tenant administrator's own, or the system
    /// administrator's `?tenant=`.
    func decide(_ request: Request, remoteAddress: String) async -> Decision {
        guard openSessions < settings.maximumSessions else {
            return .refused(.serviceUnavailable, code: "too_many_sessions", message: "too many WebSocket AMI sessions on this node; try again later")
        }
        guard request.headers[.authorization] != nil else { return .login }
        guard let principal = await app.apiPrincipal(request) else {
            return .refused(.unauthorized, code: "unauthenticated", message: "the API token is not valid")
        }
        let named = request.uri.queryParameters.get("tenant")
        if let own = principal.user.tenant {
            if let named, UUID(uuidString: named) != own {
                app.securityEvent("ForbiddenTenant", account: principal.user.loginName, address: remoteAddress, tenant: own)
                return .refused(.forbidden, code: "http_error", message: "this token may access only its own tenant")
            }
            return .token(tenant: own, name: "api:\(principal.user.loginName)")
        }
        guard let named, let uuid = UUID(uuidString: named), (try? await app.store.tenantRecord(uuid)) != nil else {
            return .refused(
                .badRequest, code: "bad_request", message: "the system administrator's token must name an existing tenant: ?tenant=<uuid>")
        }
        return .token(tenant: uuid, name: "api:\(principal.user.loginName)")
    }

    /// The router the upgrade requests go through. Every upgrade to the path is accepted and decided
    /// after it: a refused upgrade would get a bare 400 (NIO's upgrader), and a browser sees no HTTP
    /// status of a failed upgrade anyway; a close frame says why (1008 for the credentials, 1013 for
    /// the node's cap). The endpoint's plain GET answers the same decision as an HTTP status.
    func upgradeRouter() -> Router<AMIWebSocketRequestContext> {
        let router = Router(context: AMIWebSocketRequestContext.self)
        router.ws(RouterPath(Self.path)) { _, context in
            AMIWebSocketLingeringClose.enable(on: context.channel)
            return .upgrade([:])
        } onUpgrade: { inbound, outbound, context in
            let remote = context.requestContext.channel.remoteAddress
            let local = context.requestContext.channel.localAddress
            var client = AMIWebSocketClient(
                remoteIP: remote?.ipAddress ?? "unknown", remotePort: remote?.port ?? 0, localIP: local?.ipAddress ?? "",
                localPort: local?.port ?? 0, tokenTenant: nil, tokenName: "")
            switch await self.decide(context.request, remoteAddress: client.remoteIP) {
            case .refused(let status, let code, let message):
                let reason = String("\(code): \(message)".utf8.prefix(120)) ?? code
                if status == .serviceUnavailable {
                    try await outbound.close(.unknown(1013), reason: reason)
                } else {
                    try await outbound.close(.policyViolation, reason: reason)
                }
                return
            case .login:
                break
            case .token(let tenant, let name):
                client.tokenTenant = tenant
                client.tokenName = name
            }
            try await self.serve(client, inbound: inbound, outbound: outbound, channel: context.requestContext.channel)
        }
        return router
    }

    /// Claims a slot of the node's cap (nil when full) for the session's lifetime.
    private func claim() -> Bool {
        open.withLockedValue { count in
            guard count < settings.maximumSessions else { return false }
            count += 1
            return true
        }
    }

    private func serve(
        _ client: AMIWebSocketClient, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, channel: any Channel
    )
        async throws
    {
        guard claim() else {
            try await outbound.close(.unknown(1013), reason: "too many WebSocket AMI sessions")
            return
        }
        defer { open.withLockedValue { $0 -= 1 } }
        let session: (channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>, sessionClosed: EventLoopFuture<Void>)
        do {
            session = try await settings.opener.openSession(client)
        } catch {
            app.logger.error("AMI WebSocket: cannot open an AMI session", metadata: ["error": "\(error)"])
            try await outbound.close(.unexpectedServerError, reason: "AMI unavailable")
            return
        }
        app.logger.info(
            "AMI WebSocket opened", metadata: ["remote": "\(client.remoteIP)", "token": "\(client.tokenTenant == nil ? "no" : client.tokenName)"])
        let maximumMessage = settings.maximumMessageSize
        let logger = app.logger
        try await session.channel.executeThenClose { amiInbound, amiOutbound in
            try await withThrowingTaskGroup(of: Void.self) { group in
                // AMI to the client: each message as one JSON text message. Writing waits while the
                // client does not read, so the AMI session's socket fills and its write timeout applies.
                group.addTask {
                    var decoder = AMIWebSocketJSON.Splitter(limit: Self.maximumAMIMessage)
                    for try await chunk in amiInbound {
                        for message in try decoder.feed(chunk) { try await outbound.writeTextMessage(message) }
                    }
                }
                // The client to AMI: each JSON object as one action; a refused one answered here.
                group.addTask {
                    for try await message in inbound.messages(maxSize: maximumMessage) {
                        // A message in one frame is bounded by the frame limit only: checked here, so it
                        // too ends with a close handshake (a fragmented one is stopped by `maxSize`).
                        let size: Int
                        switch message {
                        case .text(let text): size = text.utf8.count
                        case .binary(let bytes): size = bytes.readableBytes
                        }
                        guard size <= maximumMessage else {
                            try await outbound.close(.messageTooLarge, reason: "message over \(maximumMessage) bytes")
                            return
                        }
                        guard case .text(let text) = message else {
                            try await outbound.writeTextMessage(
                                AMIWebSocketJSON.Refusal(actionID: "", message: "Send actions as text messages of JSON").json)
                            continue
                        }
                        switch AMIWebSocketJSON.action(fromJSON: text) {
                        case .success(let action): try await amiOutbound.write(ByteBuffer(string: action))
                        case .failure(let refusal): try await outbound.writeTextMessage(refusal.json)
                        }
                    }
                }
                // The AMI session closed (Logoff, login failed, dropped for not reading): what it wrote
                // has `closeGrace` to reach the client, then the WebSocket is dropped.
                group.addTask {
                    try await session.sessionClosed.get()
                    try await Task.sleep(for: Self.closeGrace)
                    logger.info("AMI WebSocket dropped: the client does not read", metadata: ["remote": "\(client.remoteIP)"])
                    try? await channel.close()
                }
                do {
                    try await group.next()
                } catch {
                    // A message over the limit ends here (WebSocket close 1009), as does a dropped connection.
                    logger.debug("AMI WebSocket ended", metadata: ["remote": "\(client.remoteIP)", "error": "\(error)"])
                    group.cancelAll()
                    throw error
                }
                group.cancelAll()
            }
        }
    }

    /// The endpoint as plain HTTP (no upgrade, or an upgrade refused): why, as the API's JSON error.
    func register(on router: Router<AdminRequestContext>) {
        router.get(RouterPath(Self.path)) { request, context -> Response in
            switch await self.decide(request, remoteAddress: context.remoteAddress) {
            case .refused(let status, let code, let message):
                return Reply.jsonError(status, code: code, message: message)
            case .login, .token:
                return Reply.jsonError(
                    .upgradeRequired, code: "upgrade_required", message: "open this URL as a WebSocket (GET with Upgrade: websocket)")
            }
        }
    }
}
