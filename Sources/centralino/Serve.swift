import AMI
import AMIServer
import Admin
import ArgumentParser
import Calls
import Cluster
import Foundation
import Logging
import Media
import Metrics
import NIOCore
import NIOPosix
import NodeSupport
import PBX
import SIP
import SIPServer
import ServiceLifecycle
import Store

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a Centralino node: an embedded SQLite store by default, PostgreSQL with --database.")

    @Option(help: "Directory of the SQLite store and its key file (env CENTRALINO_DATA_DIR; default ./centralino-data).")
    var dataDir: String?
    @Option(
        help: """
            The store in PostgreSQL instead of SQLite: postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE; --data-dir still holds \
            the key file (env CENTRALINO_DATABASE; default none).
            """)
    var database: String?
    @Option(help: "Connections to PostgreSQL this process opens at most (env CENTRALINO_DATABASE_POOL_SIZE; default 4).")
    var databasePoolSize: Int?
    @OptionGroup var cluster: ClusterOptions
    @Option(help: "AMI listener HOST:PORT (env CENTRALINO_AMI_BIND; default 127.0.0.1:5038).")
    var amiBind: String?
    @Option(help: "SIP listener HOST:PORT, UDP and TCP (env CENTRALINO_SIP_BIND; default 0.0.0.0:5060).")
    var sipBind: String?
    @Option(help: "HTTP listener HOST:PORT for the admin panel (env CENTRALINO_HTTP_BIND; default 127.0.0.1:8080).")
    var httpBind: String?
    @Option(help: "trace, debug, info, notice, warning, error or critical (env CENTRALINO_LOG_LEVEL; default info).")
    var logLevel: String?
    @Option(help: "Failed AMI logins from one address that lock it out (env CENTRALINO_AMI_LOCKOUT_FAILURES; default 5).")
    var amiLockoutFailures: Int?
    @Option(help: "Seconds within which those failures count (env CENTRALINO_AMI_LOCKOUT_WINDOW; default 60).")
    var amiLockoutWindow: Int?
    @Option(help: "Seconds an address stays locked out (env CENTRALINO_AMI_LOCKOUT_DURATION; default 300).")
    var amiLockoutDuration: Int?
    @Option(
        help:
            "Failed AMI logins for one account from one address that lock that account out there; at most --ami-lockout-failures (env CENTRALINO_AMI_LOCKOUT_ACCOUNT_FAILURES; default the same)."
    )
    var amiLockoutAccountFailures: Int?
    @Option(help: "Milliseconds before 'Authentication failed' (env CENTRALINO_AMI_AUTH_DELAY_MS; default 1000).")
    var amiAuthDelayMs: Int?
    @Option(help: "Milliseconds an event write may stall before the session is closed (env CENTRALINO_AMI_WRITE_TIMEOUT_MS; default 100).")
    var amiWriteTimeoutMs: Int?
    @Option(help: "Events queued for a session that does not read before it is closed (env CENTRALINO_AMI_EVENT_QUEUE_LIMIT; default 10000).")
    var amiEventQueueLimit: Int?
    @Option(help: "Seconds a connection may stay open without logging in (env CENTRALINO_AMI_AUTH_TIMEOUT; default 30).")
    var amiAuthTimeout: Int?
    @Option(help: "Connections not logged in yet, in all (env CENTRALINO_AMI_AUTH_LIMIT; default 50).")
    var amiAuthLimit: Int?
    @Option(help: "Connections not logged in yet from one address (env CENTRALINO_AMI_AUTH_LIMIT_PER_ADDRESS; default 10).")
    var amiAuthLimitPerAddress: Int?
    @Option(help: "AMI connections in all (env CENTRALINO_AMI_MAX_CONNECTIONS; default an eighth of the descriptor limit).")
    var amiMaxConnections: Int?
    @Option(help: "Actions of one session waiting for the call engine before it stops reading (env CENTRALINO_AMI_MAX_PENDING_ACTIONS; default 32).")
    var amiMaxPendingActions: Int?
    @Option(help: "Longest Hangup /regex/ pattern, bytes (env CENTRALINO_AMI_REGEX_MAX_PATTERN; default 256).")
    var amiRegexMaxPattern: Int?
    @Option(help: "Longest channel name a /regex/ is matched against, bytes (env CENTRALINO_AMI_REGEX_MAX_SUBJECT; default 256).")
    var amiRegexMaxSubject: Int?
    @Option(help: "Event filters one AMI session holds, its user's eventfilter list included (env CENTRALINO_AMI_MAX_FILTERS; default 32).")
    var amiMaxFilters: Int?
    @Option(help: "Longest AMI event filter pattern, bytes (env CENTRALINO_AMI_FILTER_MAX_PATTERN; default 256).")
    var amiFilterMaxPattern: Int?
    @Option(
        help: "Longest event text a filter regex is run over, bytes; a longer one never matches (env CENTRALINO_AMI_FILTER_MAX_EVENT; default 16384)."
    )
    var amiFilterMaxEvent: Int?
    @Option(
        help: "Threads running AMI regex event filters and Hangup /regex/, sessions in turns (env CENTRALINO_AMI_PATTERN_THREADS; default 1)."
    )
    var amiPatternThreads: Int?
    @Option(help: "Variables one channel holds at most (env CENTRALINO_CHANNEL_MAX_VARIABLES; default 250).")
    var channelMaxVariables: Int?
    @Option(help: "Longest channel variable name, bytes (env CENTRALINO_CHANNEL_MAX_VARIABLE_NAME; default 128).")
    var channelMaxVariableName: Int?
    @Option(help: "Longest channel variable value, bytes (env CENTRALINO_CHANNEL_MAX_VARIABLE_VALUE; default 4096).")
    var channelMaxVariableValue: Int?

    @Option(help: "Seconds between OPTIONS to each registered contact (env CENTRALINO_SIP_QUALIFY_INTERVAL; default 60).")
    var sipQualifyInterval: Int?
    @Option(
        help:
            "SIP transactions kept at once; beyond it requests are answered without retransmission state (env CENTRALINO_SIP_MAX_TRANSACTIONS; default 100000)."
    )
    var sipMaxTransactions: Int?
    @Option(
        help:
            "Receive buffer (SO_RCVBUF) of each SIP UDP socket in bytes, capped by the kernel at net.core.rmem_max; 0 keeps the kernel's default (env CENTRALINO_SIP_UDP_RECEIVE_BUFFER; default 4194304)."
    )
    var sipUdpReceiveBuffer: Int?
    @Option(
        help:
            "DNS server IP:PORT for trunk SRV lookups, RFC 3263 (env CENTRALINO_DNS_SERVER; default the first nameserver of /etc/resolv.conf, port 53)."
    )
    var dnsServer: String?
    @Option(
        help: "Milliseconds one DNS query of a trunk lookup waits for its answer; it is sent twice (env CENTRALINO_DNS_TIMEOUT_MS; default 2000).")
    var dnsTimeoutMs: Int?
    @Option(help: "Names kept in the DNS cache of trunk lookups (env CENTRALINO_DNS_CACHE_ENTRIES; default 4096).")
    var dnsCacheEntries: Int?
    @Option(
        help:
            "RFC 4028 session interval granted to calls at most, seconds; 0 turns session timers off (env CENTRALINO_SIP_SESSION_EXPIRES; default 1800)."
    )
    var sipSessionExpires: Int?
    @Option(help: "Shortest RFC 4028 session interval accepted, seconds; shorter gets 422 with Min-SE (env CENTRALINO_SIP_MIN_SE; default 90).")
    var sipMinSe: Int?
    @Option(
        help:
            "Seconds between CRLFCRLF keep-alive datagrams to every UDP contact (NAT bindings); 0 turns them off (env CENTRALINO_SIP_KEEPALIVE_INTERVAL; default 30)."
    )
    var sipKeepaliveInterval: Int?
    @Option(
        help:
            "Comma-separated networks (CIDR) of the SIP edge proxies: only a REGISTER from them has its Path header honoured (env CENTRALINO_SIP_TRUSTED_EDGES; default empty: none)."
    )
    var sipTrustedEdges: String?
    @Option(help: "Shortest registration accepted, seconds; shorter gets 423 (env CENTRALINO_SIP_MIN_EXPIRES; default 60).")
    var sipMinExpires: Int?
    @Option(help: "Longest registration granted, seconds (env CENTRALINO_SIP_MAX_EXPIRES; default 3600).")
    var sipMaxExpires: Int?
    @Option(help: "Password of the admin panel's system administrator 'admin'; sets or resets it at start (env CENTRALINO_ADMIN_PASSWORD).")
    var adminPassword: String?
    @Option(help: "UDP port range for RTP/RTCP, LOW-HIGH (env CENTRALINO_RTP_PORTS; default 10000-20000).")
    var rtpPorts: String?
    @Option(
        help:
            "Strict RTP: learn a stream's source only from its confirmed SDP address or after probation, drop others, yes or no (env CENTRALINO_RTP_STRICT; default yes)."
    )
    var rtpStrict: String?
    @Option(
        help: "Packets with consecutive sequence numbers a source needs to be learnt without confirmed SDP (env CENTRALINO_RTP_PROBATION; default 4)."
    )
    var rtpProbation: Int?
    @Option(help: "Seconds without RTP after which an answered call is hung up, 0 never (env CENTRALINO_RTP_TIMEOUT; default 60).")
    var rtpTimeout: Int?
    @Option(help: "Largest HTTP request body (form or JSON) in bytes; larger ones get 413 (env CENTRALINO_HTTP_MAX_BODY_BYTES; default 65536).")
    var httpMaxBodyBytes: Int?
    @Option(help: "Most rows one CSV export of the call history holds, the newest (env CENTRALINO_CDR_EXPORT_MAX_ROWS; default 1000000).")
    var cdrExportMaxRows: Int?
    @Option(
        help:
            "Concurrent channels of the whole node, every tenant together: SIP legs and Local halves (env CENTRALINO_MAX_CHANNELS; default 4000, at most 20000)."
    )
    var maxChannels: Int?
    @Option(
        help:
            "Concurrent channels a tenant may hold unless its own limit says otherwise (env CENTRALINO_TENANT_MAX_CHANNELS; default half of --max-channels)."
    )
    var tenantMaxChannels: Int?
    @Option(
        help:
            "RTP port pairs a tenant may hold unless its own limit says otherwise (env CENTRALINO_TENANT_MAX_RTP_PORT_PAIRS; default half of the pairs of --rtp-ports)."
    )
    var tenantMaxRtpPortPairs: Int?
    @Option(help: "AMI sessions a tenant may hold unless its own limit says otherwise (env CENTRALINO_TENANT_MAX_AMI_SESSIONS; default 100).")
    var tenantMaxAmiSessions: Int?
    @Option(
        help:
            "Originates per second a tenant may start unless its own limit says otherwise, 0 unlimited (env CENTRALINO_TENANT_MAX_ORIGINATES_PER_SECOND; default 0)."
    )
    var tenantMaxOriginatesPerSecond: Int?
    @Option(help: "Digest algorithms offered and accepted, in order: md5, sha256 (env CENTRALINO_SIP_DIGEST_ALGORITHMS; default md5,sha256).")
    var sipDigestAlgorithms: String?
    @Option(help: "Failed SIP digests from one address that lock it out (env CENTRALINO_SIP_LOCKOUT_FAILURES; default 10).")
    var sipLockoutFailures: Int?
    @Option(help: "Seconds a SIP address stays locked out (env CENTRALINO_SIP_LOCKOUT_DURATION; default 300).")
    var sipLockoutDuration: Int?
    @Option(
        help:
            "Failed SIP digests for one account from one address that lock that account out there; at most --sip-lockout-failures (env CENTRALINO_SIP_LOCKOUT_ACCOUNT_FAILURES; default the same)."
    )
    var sipLockoutAccountFailures: Int?
    @Option(
        help:
            "SIP/TCP connections open at once; more are closed (env CENTRALINO_SIP_TCP_MAX_CONNECTIONS; default a quarter of the descriptor limit less 64)."
    )
    var sipTcpMaxConnections: Int?
    @Option(
        help:
            "SIP/TCP connections open at once from one source address (env CENTRALINO_SIP_TCP_MAX_CONNECTIONS_PER_ADDRESS; default a quarter of --sip-tcp-max-connections, at most 64)."
    )
    var sipTcpMaxConnectionsPerAddress: Int?
    @Option(
        help: "Seconds a SIP/TCP connection may stay open without sending a valid SIP message (env CENTRALINO_SIP_TCP_SETUP_TIMEOUT; default 30).")
    var sipTcpSetupTimeout: Int?
    @Option(
        help:
            "Seconds a SIP/TCP connection may stay silent (CRLF keep-alives count) unless a registration through it is valid (env CENTRALINO_SIP_TCP_IDLE_TIMEOUT; default 300)."
    )
    var sipTcpIdleTimeout: Int?
    @Option(help: "HTTP connections open at once (env CENTRALINO_HTTP_MAX_CONNECTIONS; default an eighth of the descriptor limit less 64).")
    var httpMaxConnections: Int?
    @Option(
        help:
            "HTTP connections open at once from one source address (env CENTRALINO_HTTP_MAX_CONNECTIONS_PER_ADDRESS; default a quarter of --http-max-connections, at most 64)."
    )
    var httpMaxConnectionsPerAddress: Int?
    @Option(help: "Seconds an HTTP connection may stay idle (env CENTRALINO_HTTP_IDLE_TIMEOUT; default 60).")
    var httpIdleTimeout: Int?
    @Option(help: "PEM certificate (chain) for SIP over TLS, AMI over TLS and HTTPS; TLS listeners are off without it (env CENTRALINO_TLS_CERT).")
    var tlsCert: String?
    @Option(help: "PEM private key (unencrypted) of --tls-cert (env CENTRALINO_TLS_KEY).")
    var tlsKey: String?
    @Option(
        help:
            "SIP over TLS listener HOST:PORT, or off (env CENTRALINO_SIP_TLS_BIND; default the --sip-bind host, port 5061, when --tls-cert is given)."
    )
    var sipTlsBind: String?
    @Option(
        help:
            "AMI over TLS listener HOST:PORT, or off (env CENTRALINO_AMI_TLS_BIND; default the --ami-bind host, port 5039, when --tls-cert is given)."
    )
    var amiTlsBind: String?
    @Option(
        help:
            "HTTPS listener HOST:PORT for the admin panel, or off (env CENTRALINO_HTTPS_BIND; default the --http-bind host, port 8443, when --tls-cert is given)."
    )
    var httpsBind: String?
    @Option(help: "Seconds a TLS connection may take to complete its handshake (env CENTRALINO_TLS_HANDSHAKE_TIMEOUT; default 10).")
    var tlsHandshakeTimeout: Int?
    @Option(
        help:
            "Seconds shutdown waits for the calls it ends (BYE, CANCEL) before closing SIP and media (env CENTRALINO_SHUTDOWN_GRACE; default 5)."
    )
    var shutdownGrace: Int?
    @Option(
        help:
            "Event loops the call engine is sharded across, by tenant (env CENTRALINO_ENGINE_LOOPS; default the number of cores)."
    )
    var engineLoops: Int?
    @Option(help: "Call detail records queued for the store at most; more are dropped and counted (env CENTRALINO_CDR_QUEUE_LIMIT; default 10000).")
    var cdrQueueLimit: Int?
    @Option(help: "Days call detail records are kept, 0 = forever (env CENTRALINO_CDR_RETENTION_DAYS; default 180).")
    var cdrRetentionDays: Int?
    @Option(
        help: "WebSocket AMI sessions (/api/v1/ami/ws) open at once on this node, 0 = endpoint off (env CENTRALINO_AMI_WS_MAX_SESSIONS; default 256)."
    )
    var amiWsMaxSessions: Int?
    @Option(help: "Largest WebSocket AMI message from a client, bytes (env CENTRALINO_AMI_WS_MAX_MESSAGE_BYTES; default 65536).")
    var amiWsMaxMessageBytes: Int?

    func run() async throws {
        let level = EnvironmentOption.resolve(logLevel, "CENTRALINO_LOG_LEVEL", default: "info")
        guard let logLevel = Logger.Level(rawValue: level) else { throw CommandFailure("--log-level \(level): unknown level") }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = logLevel
            return LineSafeLogHandler(wrapping: handler)
        }
        let logger = Logger(label: "centralino")
        let descriptors = DescriptorBudget.current()
        if let warning = descriptors.warning { FileHandle.standardError.write(Data((warning + "\n").utf8)) }
        logger.info("file descriptor limit", metadata: ["limit": "\(descriptors.limit)"])
        let amiAddress = try BindAddress(
            parsing: EnvironmentOption.resolve(amiBind, "CENTRALINO_AMI_BIND", default: "127.0.0.1:5038"), flag: "--ami-bind")
        let sipAddress = try BindAddress(
            parsing: EnvironmentOption.resolve(sipBind, "CENTRALINO_SIP_BIND", default: "0.0.0.0:5060"), flag: "--sip-bind")
        let httpAddress = try BindAddress(
            parsing: EnvironmentOption.resolve(httpBind, "CENTRALINO_HTTP_BIND", default: "127.0.0.1:8080"), flag: "--http-bind")
        let configuration = try amiConfiguration(amiAddress)
        let tls = try tlsListeners(sip: sipAddress, ami: amiAddress, http: httpAddress)

        let dataDirectory = StoreOptions.dataDirectory(dataDir)
        let databaseURL = try StoreOptions.databaseURL(database)
        // The node's registrations carry its --node-id (docs/cluster.md, Registrations and nodes).
        let store = try await StoreOptions.open(
            dataDirectory: dataDirectory, database: databaseURL, poolSize: try StoreOptions.poolSize(databasePoolSize),
            nodeID: EnvironmentOption.resolve(cluster.nodeId, "CENTRALINO_NODE_ID", default: ""))
        try await store.ensureDefaultTenant()
        let directory = AMIDirectory()
        let sipDirectory = SIPDirectory()
        let watcher = DirectoryWatcher(store: store, directory: directory, sipDirectory: sipDirectory, logger: logger)
        _ = try await watcher.load()

        let metrics = CentralinoMetrics()
        // Once per process, before anything counts: swift-metrics users (SIP, AMI, Hummingbird, Cluster) count into `/metrics`.
        MetricsSystem.bootstrap(metrics.factory)
        let clusterNode = try cluster.makeNode(database: database, sipBind: sipAddress, dataDirectory: dataDirectory, logger: logger)
        let bus = AMIEventBus(logger: logger, systemName: clusterNode?.nodeID, relay: clusterNode?.relay)
        let media = try makeMediaEngine(bindHost: sipAddress.host, logger: logger)
        let sipSettings = try sipConfiguration(sipAddress, descriptors: descriptors)
        // The SIP stack first, then the call engine attached to it, then the SIP listeners: a request
        // never arrives before there is a call engine to route it to.
        let stack = SIPStack(configuration: sipSettings, directory: sipDirectory, registrations: try await store.registrations(), logger: logger)
        // A tenant that becomes homed here (failover) keeps its phones: the bindings its previous home
        // stored (with their Path through the edge) are taken over, no phone has to register again.
        clusterNode?.attach(bus: bus) {
            try await store.tenants().map { ClusterTenant(uuid: $0.uuid, domain: $0.domain) }
        } homeGained: { tenant in
            let others = try await store.registrations(of: tenant).filter { $0.nodeID != store.nodeID }
            let added = stack.adopt(others)
            if added > 0 {
                logger.notice(
                    "cluster: registrations taken over", metadata: ["tenant": "\(tenant.uuidString.lowercased())", "bindings": "\(added)"])
            }
        }
        let grace = try shutdownGraceDuration()
        let cdrs = try cdrWriter(store: store, logger: logger)
        let calls = try await CallService.start(
            sip: stack, media: media, events: bus, cdrs: cdrs, group: MultiThreadedEventLoopGroup.singleton, shards: try engineShards(),
            maximumChannels: try nodeChannelLimit(),
            shutdownGrace: grace, systemName: clusterNode?.nodeID, logger: logger)
        // The tenants' default shares of the node's pools, from the flags, before SIP or AMI take a call.
        calls.control.capacity.defaults = try tenantCapacityDefaults(shares: calls.control.capacity.defaults)
        let sip: SIPServer
        do {
            sip = try await SIPServer.bind(
                stack: stack, configuration: sipSettings, store: store, tls: tls.sip,
                group: MultiThreadedEventLoopGroup.singleton, logger: logger)
        } catch let error as CommandFailure {
            throw error
        } catch {
            let tlsNote = tls.sip.map { " or SIP over TLS on \($0.description)" } ?? ""
            throw CommandFailure("cannot listen for SIP on \(sipAddress)\(tlsNote): \(error)")
        }
        clusterNode?.gate(calls.control.homes)

        let ami: AMIServer
        do {
            ami = try await AMIServer.bind(
                configuration: configuration, directory: directory, bus: bus, calls: calls.control,
                observer: MetricsObserver(metrics: metrics), tls: tls.ami,
                group: MultiThreadedEventLoopGroup.singleton, logger: logger, startTime: Date().timeIntervalSince1970)
        } catch {
            let tlsNote = tls.ami.map { " or AMI over TLS on \($0.description)" } ?? ""
            throw CommandFailure("cannot listen for AMI on \(amiAddress)\(tlsNote): \(error)")
        }

        let live = NodeLiveStatus(bus: bus, sip: sip, calls: calls.control, media: media, cluster: clusterNode)
        // Forwarded actions (docs/cluster.md) run through the AMI server's checks and the REST API's calls.
        let clusterControl = try await clusterNode?.startControl(homes: calls.control.homes, host: AMIForwardedActions.Host(server: ami)) {
            await live.runForwardedAPI($0, tenant: $1)
        }

        let admin: AdminServer
        do {
            let password = EnvironmentOption.resolve(adminPassword, "CENTRALINO_ADMIN_PASSWORD", default: "")
            admin = try await AdminServer.bind(
                host: httpAddress.host, port: httpAddress.port, store: store,
                live: live, logger: logger,
                adminPassword: password.isEmpty ? nil : password, metrics: metrics,
                configuration: try adminConfiguration(),
                connectionLimits: try httpConnectionLimits(descriptors), https: tls.https, amiWebSocket: try amiWebSocketSettings(ami))
        } catch {
            throw CommandFailure("\(error)")
        }

        var banner = ["Centralino serving data directory \(dataDirectory.path)"]
        if let databaseURL { banner.append("store in PostgreSQL \(databaseURL)") }
        if let clusterNode { banner.append(clusterNode.bannerLine) }
        if let clusterControl { banner.append(clusterControl) }
        for tenant in try await store.tenants() {
            banner.append("tenant \(tenant.name) uuid \(tenant.uuid.uuidString.lowercased()) domain \(tenant.domain)")
        }
        banner.append(contentsOf: admin.bannerLines)
        banner.append("SIP listening on \(sip.listeningDescription ?? sipAddress.description) (udp, tcp)")
        if let sipTLS = sip.tlsListeningDescription { banner.append("SIP over TLS listening on \(sipTLS)") }
        banner.append("AMI listening on \(ami.listeningDescription ?? amiAddress.description)")
        if let amiTLS = ami.tlsListeningDescription { banner.append("AMI over TLS listening on \(amiTLS)") }
        let announcer = ReadyAnnouncer(lines: banner, waitForListeners: { await admin.waitUntilListening() })

        // Stopped in reverse order (Serve+Shutdown.swift): AMI and HTTP, then calls, SIP, media.
        var groupConfiguration = ServiceGroupConfiguration(
            services: [
                .init(service: cdrs), .init(service: MediaService(media: media, logger: logger)), .init(service: sip), .init(service: calls),
                .init(service: ServicesTogether(services: [ami, admin])), .init(service: watcher), .init(service: announcer),
            ] + (clusterNode.map { [.init(service: $0.service)] } ?? []),
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        groupConfiguration.maximumGracefulShutdownDuration = grace + Self.shutdownMargin
        groupConfiguration.maximumCancellationDuration = Self.shutdownCancellationLimit
        try await ServiceGroup(configuration: groupConfiguration).run()
        logger.info("Centralino stopped")
    }

    func rtpPortRange() throws -> ClosedRange<Int> {
        let text = EnvironmentOption.resolve(rtpPorts, "CENTRALINO_RTP_PORTS", default: "10000-20000")
        let parts = text.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 2, parts[0] >= 1024, parts[0] < parts[1], parts[1] <= 65535 else {
            throw CommandFailure("--rtp-ports \(text): expected LOW-HIGH within 1024-65535")
        }
        return parts[0]...parts[1]
    }

    func httpConnectionLimits(_ descriptors: DescriptorBudget) throws -> AdminConnectionLimits {
        let total = try EnvironmentOption.resolveInt(httpMaxConnections, "CENTRALINO_HTTP_MAX_CONNECTIONS", default: descriptors.httpConnections)
        let perAddress = try EnvironmentOption.resolveInt(
            httpMaxConnectionsPerAddress, "CENTRALINO_HTTP_MAX_CONNECTIONS_PER_ADDRESS",
            default: min(total, max(2, min(64, total / 4))))
        let idle = try EnvironmentOption.resolveInt(httpIdleTimeout, "CENTRALINO_HTTP_IDLE_TIMEOUT", default: 60)
        guard total >= 1, perAddress >= 1, (1...86_400).contains(idle) else {
            throw CommandFailure("--http-max-connections(-per-address) must be at least 1, --http-idle-timeout 1 to 86400 seconds")
        }
        return AdminConnectionLimits(total: total, perAddress: perAddress, idleTimeout: .seconds(Int64(idle)))
    }

    func sipConfiguration(_ address: BindAddress, descriptors: DescriptorBudget) throws -> SIPServerConfiguration {
        var configuration = SIPServerConfiguration(host: address.host, port: address.port)
        configuration.tcpMaximumConnections = try EnvironmentOption.resolveInt(
            sipTcpMaxConnections, "CENTRALINO_SIP_TCP_MAX_CONNECTIONS",
            default: descriptors.sipTCPConnections)
        configuration.tcpMaximumConnectionsPerAddress = try EnvironmentOption.resolveInt(
            sipTcpMaxConnectionsPerAddress, "CENTRALINO_SIP_TCP_MAX_CONNECTIONS_PER_ADDRESS",
            default: min(configuration.tcpMaximumConnections, max(2, min(64, configuration.tcpMaximumConnections / 4))))
        let setup = try EnvironmentOption.resolveInt(sipTcpSetupTimeout, "CENTRALINO_SIP_TCP_SETUP_TIMEOUT", default: 30)
        let idle = try EnvironmentOption.resolveInt(sipTcpIdleTimeout, "CENTRALINO_SIP_TCP_IDLE_TIMEOUT", default: 300)
        guard configuration.tcpMaximumConnections >= 1, configuration.tcpMaximumConnectionsPerAddress >= 1,
            (1...86_400).contains(setup), (1...86_400).contains(idle)
        else {
            throw CommandFailure(
                "--sip-tcp-max-connections(-per-address) must be at least 1, --sip-tcp-setup-timeout and --sip-tcp-idle-timeout 1 to 86400 seconds")
        }
        configuration.tcpSetupTimeout = .seconds(Int64(setup))
        configuration.tcpIdleTimeout = .seconds(Int64(idle))
        configuration.qualifyInterval = .seconds(
            Int64(try EnvironmentOption.resolveInt(sipQualifyInterval, "CENTRALINO_SIP_QUALIFY_INTERVAL", default: 60)))
        configuration.maximumTransactions = try EnvironmentOption.resolveInt(
            sipMaxTransactions, "CENTRALINO_SIP_MAX_TRANSACTIONS",
            default: configuration.maximumTransactions)
        guard configuration.maximumTransactions >= 1 else { throw CommandFailure("--sip-max-transactions must be at least 1") }
        configuration.udpReceiveBufferSize = try EnvironmentOption.resolveInt(
            sipUdpReceiveBuffer, "CENTRALINO_SIP_UDP_RECEIVE_BUFFER", default: configuration.udpReceiveBufferSize)
        guard (0...(1 << 30)).contains(configuration.udpReceiveBufferSize) else {
            throw CommandFailure("--sip-udp-receive-buffer must be 0 to 1073741824 bytes")
        }
        let dnsText = EnvironmentOption.resolve(dnsServer, "CENTRALINO_DNS_SERVER", default: "")
        if !dnsText.isEmpty {
            let server = try BindAddress(parsing: dnsText, flag: "--dns-server")
            guard let address = try? SocketAddress(ipAddress: server.host, port: server.port), server.port > 0 else {
                throw CommandFailure("--dns-server \(dnsText): expected an IP address and a port from 1 to 65535")
            }
            configuration.dnsServer = address
        }
        let dnsTimeout = try EnvironmentOption.resolveInt(dnsTimeoutMs, "CENTRALINO_DNS_TIMEOUT_MS", default: 2000)
        guard (100...30_000).contains(dnsTimeout) else { throw CommandFailure("--dns-timeout-ms must be between 100 and 30000") }
        configuration.dnsTimeout = .milliseconds(Int64(dnsTimeout))
        configuration.dnsCacheEntries = try EnvironmentOption.resolveInt(dnsCacheEntries, "CENTRALINO_DNS_CACHE_ENTRIES", default: 4096)
        guard (1...1_000_000).contains(configuration.dnsCacheEntries) else {
            throw CommandFailure("--dns-cache-entries must be between 1 and 1000000")
        }
        let sessionExpires = try EnvironmentOption.resolveInt(
            sipSessionExpires, "CENTRALINO_SIP_SESSION_EXPIRES",
            default: Int(SessionTimerPolicy.defaultSessionExpires))
        let minimumSE = try EnvironmentOption.resolveInt(sipMinSe, "CENTRALINO_SIP_MIN_SE", default: Int(SessionTimerPolicy.defaultMinimumSE))
        guard (1...86_400).contains(minimumSE) else { throw CommandFailure("--sip-min-se must be between 1 and 86400") }
        guard sessionExpires == 0 || (minimumSE...86_400).contains(sessionExpires) else {
            throw CommandFailure("--sip-session-expires must be 0 or between --sip-min-se and 86400")
        }
        configuration.sessionTimers = SessionTimerPolicy(sessionExpires: UInt32(sessionExpires), minimumSE: UInt32(minimumSE))
        let keepAlive = try EnvironmentOption.resolveInt(sipKeepaliveInterval, "CENTRALINO_SIP_KEEPALIVE_INTERVAL", default: 30)
        guard (0...86_400).contains(keepAlive) else { throw CommandFailure("--sip-keepalive-interval must be between 0 and 86400") }
        configuration.keepAliveInterval = keepAlive == 0 ? nil : .seconds(Int64(keepAlive))
        configuration.registrar.minimumExpires = UInt32(
            clamping: try EnvironmentOption.resolveInt(sipMinExpires, "CENTRALINO_SIP_MIN_EXPIRES", default: 60))
        configuration.registrar.maximumExpires = UInt32(
            clamping: try EnvironmentOption.resolveInt(sipMaxExpires, "CENTRALINO_SIP_MAX_EXPIRES", default: 3600))
        configuration.registrar.defaultExpires = min(configuration.registrar.defaultExpires, configuration.registrar.maximumExpires)
        let edges = EnvironmentOption.resolve(sipTrustedEdges, "CENTRALINO_SIP_TRUSTED_EDGES", default: "")
        do {
            configuration.trustedEdges = try edges.split(separator: ",").map { try AMIAccessRule(parsing: String($0)) }
        } catch {
            throw CommandFailure("--sip-trusted-edges \(edges): \(error)")
        }
        let algorithms = EnvironmentOption.resolve(sipDigestAlgorithms, "CENTRALINO_SIP_DIGEST_ALGORITHMS", default: "md5,sha256")
        configuration.digestAlgorithms = try algorithms.split(separator: ",").map { word in
            switch word.trimmingCharacters(in: .whitespaces).lowercased() {
            case "md5": return .md5
            case "sha256", "sha-256": return .sha256
            default: throw CommandFailure("--sip-digest-algorithms: unknown algorithm '\(word)' (md5, sha256)")
            }
        }
        guard !configuration.digestAlgorithms.isEmpty else { throw CommandFailure("--sip-digest-algorithms: give at least one") }
        configuration.lockout.failures = try EnvironmentOption.resolveInt(sipLockoutFailures, "CENTRALINO_SIP_LOCKOUT_FAILURES", default: 10)
        configuration.lockout.lockout = .seconds(
            Int64(try EnvironmentOption.resolveInt(sipLockoutDuration, "CENTRALINO_SIP_LOCKOUT_DURATION", default: 300)))
        configuration.lockout.accountFailures = try EnvironmentOption.resolveInt(
            sipLockoutAccountFailures, "CENTRALINO_SIP_LOCKOUT_ACCOUNT_FAILURES",
            default: configuration.lockout.failures)
        guard (1...max(1, configuration.lockout.failures)).contains(configuration.lockout.accountFailures) else {
            throw CommandFailure("--sip-lockout-account-failures must be between 1 and --sip-lockout-failures")
        }
        guard configuration.registrar.minimumExpires <= configuration.registrar.maximumExpires, configuration.lockout.failures >= 1 else {
            throw CommandFailure("--sip-min-expires must not exceed --sip-max-expires, and --sip-lockout-failures must be at least 1")
        }
        return configuration
    }

    func amiConfiguration(_ address: BindAddress) throws -> AMIServerConfiguration {
        var configuration = AMIServerConfiguration(host: address.host, port: address.port)
        configuration.lockout.failures = try EnvironmentOption.resolveInt(amiLockoutFailures, "CENTRALINO_AMI_LOCKOUT_FAILURES", default: 5)
        configuration.lockout.window = .seconds(
            Int64(try EnvironmentOption.resolveInt(amiLockoutWindow, "CENTRALINO_AMI_LOCKOUT_WINDOW", default: 60)))
        configuration.lockout.lockout = .seconds(
            Int64(try EnvironmentOption.resolveInt(amiLockoutDuration, "CENTRALINO_AMI_LOCKOUT_DURATION", default: 300)))
        configuration.lockout.accountFailures = try EnvironmentOption.resolveInt(
            amiLockoutAccountFailures, "CENTRALINO_AMI_LOCKOUT_ACCOUNT_FAILURES",
            default: configuration.lockout.failures)
        guard (1...max(1, configuration.lockout.failures)).contains(configuration.lockout.accountFailures) else {
            throw CommandFailure("--ami-lockout-account-failures must be between 1 and --ami-lockout-failures")
        }
        configuration.authFailureDelay = .milliseconds(
            Int64(try EnvironmentOption.resolveInt(amiAuthDelayMs, "CENTRALINO_AMI_AUTH_DELAY_MS", default: 1000)))
        configuration.writeTimeout = .milliseconds(
            Int64(max(100, try EnvironmentOption.resolveInt(amiWriteTimeoutMs, "CENTRALINO_AMI_WRITE_TIMEOUT_MS", default: 100))))
        configuration.eventQueueLimit = try EnvironmentOption.resolveInt(amiEventQueueLimit, "CENTRALINO_AMI_EVENT_QUEUE_LIMIT", default: 10_000)
        guard configuration.lockout.failures >= 1, configuration.eventQueueLimit >= 1 else {
            throw CommandFailure("--ami-lockout-failures and --ami-event-queue-limit must be at least 1")
        }
        try applyAMIConnectionLimits(to: &configuration)
        return configuration
    }
}
