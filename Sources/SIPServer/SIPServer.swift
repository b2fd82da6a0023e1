import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import NodeSupport
import SIP
import ServiceLifecycle
import Store

/// The SIP layer of a node before it listens: the registrar core and the transport hub. The calls
/// layer attaches to it (dialog handler, transaction layer) before `SIPServer.bind` opens the sockets,
/// so no request arrives before there is somewhere to route it.
package final class SIPStack: Sendable {
    package let core: SIPCore
    package let hub: SIPTransportHub
    package let directory: SIPDirectory

    /// Builds the core with the registrations persisted by the previous run.
    package init(configuration: SIPServerConfiguration, directory: SIPDirectory, registrations: [RegistrationRecord], logger: Logger) {
        let hub = SIPTransportHub(boundHost: configuration.host, boundPort: configuration.port, logger: logger)
        let core = SIPCore(configuration: configuration, directory: directory, logger: logger) { hub.localAddress(toward: $0) }
        core.load(registrations, wallClock: SIPClock.wallSeconds())
        self.core = core
        self.hub = hub
        self.directory = directory
    }

    /// Takes over the live bindings other nodes stored for a tenant now homed here (`SIPCore.adopt`):
    /// how many were added. They are persisted as this node's at the next tick.
    package func adopt(_ records: [RegistrationRecord]) -> Int {
        core.adopt(records, wallClock: SIPClock.wallSeconds())
    }

    /// The transport the calls layer sends through.
    package var transport: any SIPTransport { hub }

    /// Routes dialog requests and responses to `handler`, and answers requests outside dialogs and
    /// runs qualify through `transactions` on `loop`. Called once, before `SIPServer.bind`.
    package func attach(dialogs handler: any SIPDialogHandler, transactions: NIOLoopBound<SIPTransactionLayer>, loop: any EventLoop) {
        core.qualify(through: transactions, loop: loop)
        core.serveRequests(through: transactions, loop: loop)
        core.routeDialogs(to: handler)
    }
}

/// The SIP listener (UDP and TCP on the same address, optionally TLS on its own) with the registrar. `bind()` claims the
/// sockets before the service group starts; `run()` drives timers and persistence until shutdown.
public struct SIPServer: Service {
    /// How often timers (qualify, retransmissions) are checked and registration changes persisted.
    static let tickInterval: Duration = .milliseconds(250)
    /// Bytes a TCP peer may have buffered before a message completes (the largest message allowed).
    static let maximumStreamBuffer = SIPLimits.maximumMessageSize * 2

    let core: SIPCore
    let hub: SIPTransportHub
    let store: CentralinoStore
    let logger: Logger
    let udp: any Channel
    let tcp: any Channel
    let tls: (any Channel)?

    /// Opens the listeners of `stack` (after the calls layer has attached to it).
    package static func bind(
        stack: SIPStack, configuration: SIPServerConfiguration, store: CentralinoStore,
        tls tlsSettings: TLSListenerSettings? = nil, group: any EventLoopGroup, logger: Logger
    ) async throws -> SIPServer {
        let core = stack.core
        let hub = stack.hub
        let udpSockets = try await hub.bindUDP(
            group: group, host: configuration.host, port: configuration.port,
            receiveBufferSize: configuration.udpReceiveBufferSize
        ) { channel in
            channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(SIPDatagramHandler(core: core, hub: hub)) }
        }
        let udp = udpSockets[0]
        let tcpPort = udp.localAddress?.port ?? configuration.port
        let tcp = try await streamBootstrap(group: group, configuration: configuration, core: core, hub: hub, tls: nil, logger: logger)
            .bind(host: configuration.host, port: tcpPort).get()
        var tls: (any Channel)?
        if let tlsSettings {
            tls = try await streamBootstrap(group: group, configuration: configuration, core: core, hub: hub, tls: tlsSettings, logger: logger)
                .bind(host: tlsSettings.host, port: tlsSettings.port).get()
            hub.setTLSBound(host: tlsSettings.host, port: tls?.localAddress?.port ?? tlsSettings.port)
        }
        return SIPServer(core: core, hub: hub, store: store, logger: logger, udp: udp, tcp: tcp, tls: tls)
    }

    /// SIP over TCP, or over TLS: the same connection guard (caps shared by both, setup and idle
    /// timeouts) first, so a connection is admitted or refused before its handshake; then, over TLS,
    /// the TLS handler and its handshake timeout. A phone registered over TLS is reached on its connection.
    private static func streamBootstrap(
        group: any EventLoopGroup, configuration: SIPServerConfiguration, core: SIPCore,
        hub: SIPTransportHub, tls: TLSListenerSettings?, logger: Logger
    ) -> ServerBootstrap {
        ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let connectionGuard = SIPConnectionGuard(
                        book: core.connections, setupTimeout: configuration.tcpSetupTimeout,
                        idleTimeout: configuration.tcpIdleTimeout, logger: logger)
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHandler(connectionGuard)
                    if let tls {
                        try pipeline.addHandlers(
                            NIOSSLServerHandler(context: tls.credentials.context),
                            TLSHandshakeTimeoutHandler(timeout: tls.handshakeTimeout))
                    }
                    try pipeline.addHandlers(
                        ByteToMessageHandler(SIPStreamDecoder(), maximumBufferSize: Self.maximumStreamBuffer),
                        SIPStreamHandler(core: core, hub: hub, connectionGuard: connectionGuard, transport: tls == nil ? .tcp : .tls))
                }
            }
    }

    /// A registered contact as the admin panel lists it.
    public struct RegistrationInfo: Sendable {
        public var number: String
        public var contact: String
        public var source: String
        public var transport: String
        public var userAgent: String?
        public var expiresAt: Double
        /// nil until qualified.
        public var reachable: Bool?
    }

    /// SIP messages the kernel or a connection refused to send since start (`/metrics`).
    public var sendErrors: Int { hub.sendErrors }

    public func registrations(tenant: UUID) -> [RegistrationInfo] {
        core.registrations(tenant: tenant)
    }

    /// `HOST:PORT` of the bound listeners, IPv6 hosts in brackets.
    public var listeningDescription: String? { SocketAddress.describe(udp.localAddress) }

    /// `HOST:PORT` of the SIP over TLS listener, nil without one.
    public var tlsListeningDescription: String? { SocketAddress.describe(tls?.localAddress) }

    public func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            core.tick(now: .now()).forEach(hub.send)
            await persistChanges()
            try? await Task.sleep(for: Self.tickInterval)
        }
        await persistChanges()
        tcp.close(promise: nil)
        tls?.close(promise: nil)
        hub.closeAll()
    }

    private func persistChanges() async {
        let changes = core.takeChanges(wallClock: SIPClock.wallSeconds())
        guard !changes.isEmpty else { return }
        do {
            try await store.replaceRegistrations(changes)
        } catch {
            logger.error("cannot persist registrations", metadata: ["error": "\(error)"])
        }
    }
}
