import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Store

/// The HTTP listener of the admin panel and REST API (and optionally an HTTPS one serving the same
/// responder), a `Service` for the node's `ServiceGroup`.
///
/// `bind()` checks that the address can be claimed (a taken port is a clear startup error) and
/// creates the system administrator on first start; `run()` serves until graceful shutdown.
public struct AdminServer: Service {
    /// Why the admin server could not start.
    public struct BindError: Error, CustomStringConvertible {
        public let address: String
        public let reason: String
        /// `HTTP` or `HTTPS`.
        public var scheme = "HTTP"
        public var description: String { "cannot listen for \(scheme) on \(address): \(reason)" }
    }

    private let application: Application<RouterResponder<AdminRequestContext>>
    private let httpsApplication: Application<RouterResponder<AdminRequestContext>>?
    /// `HOST:PORT` the panel is served on.
    public let listeningDescription: String
    /// `HOST:PORT` the panel is served on over HTTPS, nil without HTTPS.
    public let httpsListeningDescription: String?
    /// The system administrator's credentials when this start created or reset them (print once), else nil.
    public let initialCredentials: AdminInitialCredentials?
    /// Counters served at `/metrics`; the server may record AMI logins and originates here.
    public let metrics: CentralinoMetrics
    private let readiness: ListenerReadiness

    /// Claims `host:port`, makes sure a system administrator exists and prepares the app.
    ///
    /// - Parameters:
    ///   - adminPassword: from `--admin-password` / `CENTRALINO_ADMIN_PASSWORD`: sets (or resets) `admin`'s password.
    ///   - live: the running server's live state (sessions, registrations, events).
    public static func bind(
        host: String, port: Int, store: CentralinoStore, live: any AdminLiveStatus, logger: Logger,
        adminPassword: String? = nil, metrics: CentralinoMetrics = CentralinoMetrics(),
        configuration: AdminConfiguration? = nil,
        connectionLimits: AdminConnectionLimits = AdminConnectionLimits(),
        https: AdminHTTPSSettings? = nil, amiWebSocket: AMIWebSocketSettings? = nil
    ) async throws -> AdminServer {
        var configuration = configuration ?? AdminConfiguration()
        configuration.host = host
        configuration.port = port
        let address = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        try await probe(host: host, port: port, address: address, scheme: "HTTP")
        if let https { try await probe(host: https.host, port: https.port, address: https.address, scheme: "HTTPS") }
        let credentials = try await AdminBootstrap.ensureSystemAdmin(store: store, password: adminPassword, bcryptCost: configuration.bcryptCost)
        let app = AdminApp(store: store, live: live, configuration: configuration, metrics: metrics, logger: logger)
        let webSocket = amiWebSocket.map { AMIWebSocket(app: app, settings: $0) }
        let router = AdminRouter.build(app: app, webSocket: webSocket)
        let limiter = AdminConnectionLimiter(limits: connectionLimits)
        let responder = router.buildResponder()
        let readiness = ListenerReadiness(expected: https == nil ? 1 : 2)
        // The connection caps and the idle timeout hold from accept (AdminGuardedChannel), also for a
        // connection that may upgrade to the WebSocket AMI endpoint; the WebSocket's own limits after it.
        let server = Self.guardedServer(
            webSocket: webSocket, extraHandlers: { [] }, limiter: limiter, limits: connectionLimits, logger: logger)
        let application = Application(
            responder: responder,
            server: server,
            configuration: .init(address: .hostname(host, port: port), serverName: "Centralino", reuseAddress: true),
            onServerRunning: { _ in readiness.listening() },
            logger: logger)
        var httpsApplication: Application<RouterResponder<AdminRequestContext>>?
        if let https {
            // The same caps (one limiter for both listeners); the idle timeout also bounds a stalled handshake.
            let server = Self.guardedServer(
                webSocket: webSocket, extraHandlers: https.handlers, limiter: limiter, limits: connectionLimits, logger: logger)
            httpsApplication = Application(
                responder: responder,
                server: try .tls(server, tlsConfiguration: https.tlsConfiguration),
                configuration: .init(
                    address: .hostname(https.host, port: https.port), serverName: "Centralino",
                    reuseAddress: true),
                onServerRunning: { _ in readiness.listening() },
                logger: logger)
        }
        return AdminServer(
            application: application, httpsApplication: httpsApplication, listeningDescription: address,
            httpsListeningDescription: https?.address, initialCredentials: credentials, metrics: metrics,
            readiness: readiness)
    }

    /// HTTP/1 (with the upgrade to `/api/v1/ami/ws` when the endpoint is on), every connection
    /// guarded from accept by the caps and the idle timeout. WebSocket frames are limited to
    /// `AMIWebSocket.maximumFrame` (the message limit is the bridge's) and pinged at half the idle
    /// timeout (at most every 30 s), so a live browser always answers in time and a dead one is closed.
    private static func guardedServer(
        webSocket: AMIWebSocket?, extraHandlers: @escaping @Sendable () -> [any RemovableChannelHandler],
        limiter: AdminConnectionLimiter, limits: AdminConnectionLimits, logger: Logger
    ) -> HTTPServerBuilder {
        // Every guard goes in AdminGuardedChannel, first in the pipeline (right after the TLS handler
        // on HTTPS): none in HTTP1Channel's configuration, which the WebSocket-upgrading channel would add
        // only after a first request (a handshake timer started then would close the connection later).
        let http1 = HTTP1Channel.Configuration()
        guard let webSocket else {
            return HTTPServerBuilder { responder in
                AdminGuardedChannel(
                    base: HTTP1Channel(responder: responder, configuration: http1), extraHandlers: extraHandlers,
                    limiter: limiter, idleTimeout: limits.idleTimeout, logger: logger)
            }
        }
        let webSocketResponder = webSocket.upgradeRouter().buildResponder()
        let pingPeriod = Duration.nanoseconds(min(30_000_000_000, max(limits.idleTimeout.nanoseconds / 2, 1)))
        let configuration = HTTP1WebSocketUpgradeChannel.Configuration(
            http1: http1, ws: .init(maxFrameSize: AMIWebSocket.maximumFrame, autoPing: .enabled(timePeriod: pingPeriod)))
        return HTTPServerBuilder { responder in
            AdminGuardedChannel(
                base: HTTP1WebSocketUpgradeChannel(
                    responder: responder, webSocketResponder: webSocketResponder, configuration: configuration),
                extraHandlers: extraHandlers, limiter: limiter, idleTimeout: limits.idleTimeout, logger: logger)
        }
    }

    /// Claims the address once now, so a taken port fails the start with a clear message;
    /// Hummingbird binds it again (SO_REUSEADDR) when the service group runs.
    private static func probe(host: String, port: Int, address: String, scheme: String) async throws {
        do {
            let probe = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .bind(host: host, port: port).get()
            try await probe.close()
        } catch {
            throw BindError(address: address, reason: "\(error)", scheme: scheme)
        }
    }

    /// The panel's URL for the banner.
    public var panelURL: String { "http://\(listeningDescription)/" }

    /// The lines `serve` prints: where the panel is and, on first start, how to log in.
    public var bannerLines: [String] {
        var lines = ["HTTP admin panel and REST API on \(panelURL) (API: \(panelURL)api/v1, OpenAPI: \(panelURL)api/v1/openapi.json)"]
        if let httpsListeningDescription { lines.append("HTTPS admin panel and REST API on https://\(httpsListeningDescription)/") }
        if let initialCredentials { lines.append(initialCredentials.bannerLine(panelURL: panelURL)) }
        return lines
    }

    /// Returns once the HTTP (and HTTPS) listeners accept connections, or when the caller is cancelled.
    public func waitUntilListening() async {
        await readiness.wait()
    }

    public func run() async throws {
        guard let httpsApplication else { return try await application.run() }
        let application = self.application
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await application.run() }
            group.addTask { try await httpsApplication.run() }
        }
    }
}

/// What logs show of the service (the service group logs each at debug level): its address, never
/// the initial credentials it holds.
extension AdminServer: CustomStringConvertible {
    public var description: String { "AdminServer(\(listeningDescription))" }
}
