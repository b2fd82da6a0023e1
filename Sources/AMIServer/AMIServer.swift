import AMI
import Calls
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import NodeSupport
import ServiceLifecycle

/// The AMI listener, and optionally the AMI over TLS one (Asterisk's `tlsenable`/`tlsbindaddr`, port 5039):
/// both serve the same sessions under the same limits, ACLs and connection caps. `bind()` claims the
/// ports before the service group starts, so a port that is already taken is a clear startup error;
/// `run()` serves until graceful shutdown.
public struct AMIServer: Service {
    /// Bytes of input buffered per connection at most; the decoder consumes complete lines, so
    /// only a partial line (bounded by the line limit) normally waits here, or what was read while an
    /// action blocked the session.
    static let maximumInputBuffer = 1 << 20
    /// Kernel send buffer per session. A fixed size (instead of Linux's autotuning up to megabytes)
    /// bounds what a client that stops reading can hold back, so the write timeout notices it.
    static let socketSendBuffer = 256 * 1024

    let context: AMIServerContext
    let group: any EventLoopGroup
    private let listener: any Channel
    private let tlsListener: (any Channel)?

    /// The address actually bound (useful with port 0).
    public var localAddress: SocketAddress? { listener.localAddress }

    /// `HOST:PORT` of the bound listener, IPv6 hosts in brackets.
    public var listeningDescription: String? { SocketAddress.describe(localAddress) }

    /// The address the TLS listener bound, nil without one.
    public var tlsLocalAddress: SocketAddress? { tlsListener?.localAddress }

    /// `HOST:PORT` of the TLS listener, nil without one.
    public var tlsListeningDescription: String? { SocketAddress.describe(tlsLocalAddress) }

    /// Binds the listener (and the TLS one when `tls` is given); fails (e.g. address in use) before anything else starts.
    public static func bind(
        configuration: AMIServerConfiguration, directory: AMIDirectory, bus: AMIEventBus, calls: CallControl? = nil,
        observer: (any NodeObserver)? = nil, tls: TLSListenerSettings? = nil,
        group: any EventLoopGroup, logger: Logger, startTime: Double
    ) async throws -> AMIServer {
        var configuration = configuration
        configuration.maximumConnections = Self.connectionCap(
            configuration.maximumConnections,
            budget: DescriptorBudget.current(raiseSoftLimit: false), logger: logger)
        let patternWorker = AMIPatternWorker(threads: configuration.patternThreads)
        let server = AMIServerContext(
            configuration: configuration, directory: directory, bus: bus, calls: calls,
            observer: observer, logger: logger, startTime: startTime, patternWorker: patternWorker)
        // A changed password, ACL or class list, or a removed/disabled user, ends the sessions it no
        // longer admits, as disabling the tenant's AMI service does.
        directory.onReplace { directory in bus.closeSessions(notAdmittedBy: directory) }
        // The engine holds channels to the same variable limits an Originate is checked against.
        let variableLimits = configuration.variableLimits
        calls?.setVariableLimits(variableLimits)
        let listener: any Channel
        do {
            listener = try await bootstrap(group: group, server: server, tls: nil)
                .bind(host: configuration.host, port: configuration.port)
                .get()
        } catch {
            await patternWorker.shutdown()
            throw error
        }
        var tlsListener: (any Channel)?
        if let tls {
            do {
                tlsListener = try await bootstrap(group: group, server: server, tls: tls)
                    .bind(host: tls.host, port: tls.port)
                    .get()
            } catch {
                try? await listener.close()
                await patternWorker.shutdown()
                throw error
            }
        }
        return AMIServer(context: server, group: group, listener: listener, tlsListener: tlsListener)
    }

    /// One bootstrap for both listeners: over TLS the session handler sits behind the TLS handler and
    /// a handshake timeout; admission (ACL, caps) and the login timeout start when the TCP connection
    /// opens, so they cover the handshake too. The banner waits in the TLS handler until the handshake is done.
    private static func bootstrap(group: any EventLoopGroup, server: AMIServerContext, tls: TLSListenerSettings?) -> ServerBootstrap {
        ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.socketOption(.so_sndbuf), value: SocketOptionValue(Self.socketSendBuffer))
            .childChannelOption(.writeBufferWaterMark, value: .init(low: 32 * 1024, high: 64 * 1024))
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let tls {
                        try pipeline.addHandlers(
                            NIOSSLServerHandler(context: tls.credentials.context),
                            TLSHandshakeTimeoutHandler(timeout: tls.handshakeTimeout))
                    }
                    // The session handler decodes its input itself (`AMIFrameDecoder`).
                    try pipeline.addHandler(AMISessionHandler(server: server))
                }
            }
    }

    /// The global AMI connection cap: the configured one, or by default the budget's AMI share; never
    /// above the descriptors available for peers, with a warning when the configured cap had to be lowered.
    static func connectionCap(_ configured: Int?, budget: DescriptorBudget, logger: Logger) -> Int {
        let available = max(1, budget.available)
        let requested = configured ?? budget.amiConnections
        guard requested > available else { return max(1, requested) }
        logger.warning(
            "AMI connection cap lowered below the descriptor limit; raise it with ulimit -n",
            metadata: ["requested": "\(requested)", "cap": "\(available)", "nofile": "\(budget.limit)"])
        return available
    }

    public func run() async throws {
        let listeners = [listener] + (tlsListener.map { [$0] } ?? [])
        // Cancellation too: when another service fails to start, the group cancels instead of shutting
        // down gracefully, and a listener left open would keep the node half up and deaf to SIGTERM.
        await withTaskCancellationOrGracefulShutdownHandler {
            for listener in listeners { try? await listener.closeFuture.get() }
        } onCancelOrGracefulShutdown: {
            for listener in listeners { listener.close(promise: nil) }
        }
        context.closeAllSessions()
        await context.patternWorker.shutdown()
    }
}
