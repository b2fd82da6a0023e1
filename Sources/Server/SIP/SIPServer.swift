import AMI
import Foundation
import Logging
import Media
import NIOCore
import NIOPosix
import NIOSSL
import SIP
import ServiceLifecycle
import Store

/// The SIP listener (UDP and TCP on the same address, optionally TLS on its own) with the registrar. `bind()` claims the
/// sockets before the service group starts; `run()` drives timers and persistence until shutdown.
public struct SIPServer: Service {
    /// How often timers (qualify, retransmissions) are checked and registration changes persisted.
    static let tickInterval: Duration = .milliseconds(250)
    /// Bytes a TCP peer may have buffered before a message completes (the largest message allowed).
    static let maximumStreamBuffer = SIPLimits.maximumMessageSize * 2

    let core: SIPCore
    let hub: SIPTransportHub
    /// The call engine, for AMI (Originate and the CTI actions).
    public let calls: CallControl
    let store: CentralinoStore
    let logger: Logger
    let udp: any Channel
    let tcp: any Channel
    let tls: (any Channel)?

    public static func bind(
        configuration: SIPServerConfiguration, directory: SIPDirectory, store: CentralinoStore,
        media: MediaEngine, bus: AMIEventBus, tls tlsSettings: TLSListenerSettings? = nil,
        group: any EventLoopGroup, logger: Logger
    ) async throws -> SIPServer {
        let hub = SIPTransportHub(boundHost: configuration.host, boundPort: configuration.port, logger: logger)
        let core = SIPCore(configuration: configuration, directory: directory, logger: logger) { hub.localAddress(toward: $0) }
        core.load(try store.registrations(), wallClock: SIPClock.wallSeconds())
        let calls = try await startCalls(core: core, hub: hub, directory: directory, media: media, bus: bus, group: group, logger: logger)
        let udp = try await hub.bindUDP(group: group, host: configuration.host, port: configuration.port) { channel in
            channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(SIPDatagramHandler(core: core, hub: hub)) }
        }
        let tcpPort = udp.localAddress?.port ?? configuration.port
        let tcp = try await streamBootstrap(group: group, configuration: configuration, core: core, hub: hub, tls: nil, logger: logger)
            .bind(host: configuration.host, port: tcpPort).get()
        var tls: (any Channel)?
        if let tlsSettings {
            tls = try await streamBootstrap(group: group, configuration: configuration, core: core, hub: hub, tls: tlsSettings, logger: logger)
                .bind(host: tlsSettings.host, port: tlsSettings.port).get()
            hub.setTLSBound(host: tlsSettings.host, port: tls?.localAddress?.port ?? tlsSettings.port)
        }
        return SIPServer(core: core, hub: hub, calls: calls, store: store, logger: logger, udp: udp, tcp: tcp, tls: tls)
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

    /// Creates the call engine on its own event loop and routes dialog requests to it.
    private static func startCalls(
        core: SIPCore, hub: SIPTransportHub, directory: SIPDirectory, media: MediaEngine,
        bus: AMIEventBus, group: any EventLoopGroup, logger: Logger
    ) async throws -> CallControl {
        let loop = group.next()
        return try await loop.submit {
            let driver = SIPCallDriver(loop: loop, core: core, hub: hub, logger: logger)
            let relay = MediaRelayAdapter(engine: media, loop: loop, logger: logger) { destination in
                let local = hub.localAddress(toward: destination)
                return String(local[..<(local.lastIndex(of: ":") ?? local.endIndex)]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
            }
            let capacity = TenantCapacity(directory: directory, defaults: .shares(ofRTPPortPairs: media.portPairCapacity))
            let engine = CallEngine(
                loop: loop, driver: driver, sip: core, directory: directory, bus: bus, media: relay,
                dialplans: TenantDialplans(directory: directory), capacity: capacity, logger: logger)
            driver.delegate = engine
            engine.startRTPTimeoutChecks()
            let boundDriver = NIOLoopBound(driver, eventLoop: loop)
            core.qualify(through: boundDriver, loop: loop)
            core.serveRequests(through: boundDriver, loop: loop)
            core.calls.withLockedValue {
                $0 = SIPCore.CallRouting(
                    request: { request, source in loop.execute { boundDriver.value.handleRequest(request, from: source) } },
                    response: { response in loop.execute { boundDriver.value.handleResponse(response) } })
            }
            return CallControl(engine: engine)
        }.get()
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
    public var listeningDescription: String? { AMIServer.describe(udp.localAddress) }

    /// `HOST:PORT` of the SIP over TLS listener, nil without one.
    public var tlsListeningDescription: String? { AMIServer.describe(tls?.localAddress) }

    public func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            core.tick(now: .now()).forEach(hub.send)
            persistChanges()
            try? await Task.sleep(for: Self.tickInterval)
        }
        persistChanges()
        tcp.close(promise: nil)
        tls?.close(promise: nil)
        hub.closeAll()
    }

    private func persistChanges() {
        let changes = core.takeChanges(wallClock: SIPClock.wallSeconds())
        guard !changes.isEmpty else { return }
        do {
            try store.replaceRegistrations(changes)
        } catch {
            logger.error("cannot persist registrations", metadata: ["error": "\(error)"])
        }
    }
}
