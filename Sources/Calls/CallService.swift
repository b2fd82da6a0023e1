import Foundation
import Logging
import Media
import NIOCore
import PBX
import SIP
import SIPServer
import ServiceLifecycle

/// The call engine as a service of the node, sharded by tenant across event loops (`CallShardMap`):
/// each shard is an engine with its SIP call driver, transaction layer and media adapter on a loop of
/// its own (its media legs on the next loop), attached to the SIP stack (dialogs in, messages out through its transport) before the
/// SIP listeners bind. At shutdown it ends every call on every shard and waits for the legs to go,
/// up to `shutdownGrace`.
package struct CallService: Service {
    /// The engine as AMI and the admin panel use it.
    package let control: CallControl
    /// How long shutdown waits for the BYEs and CANCELs of the calls it ends (`--shutdown-grace`).
    package let shutdownGrace: Duration
    private let shards: [Shard]
    private let logger: Logger

    /// What shutdown needs of one shard.
    private struct Shard: Sendable {
        var engine: NIOLoopBound<CallEngine>
        var shutdown: NIOLoopBound<CallShutdown>
    }

    /// Creates `shards` engines, each with its SIP call driver on its own loop of `group` (shards
    /// share loops only when there are more shards than loops), routes the SIP stack's dialog
    /// traffic to the shard it belongs to, and answers requests outside dialogs and runs qualify
    /// through shard 0's transaction layer. Messages go out through `transport`, by default the
    /// stack's sockets (a test may record them instead). With a `systemName` (`--node-id`), uniqueids
    /// are `<systemName>-<epoch>.<n>`.
    package static func start(
        sip: SIPStack, transport: (any SIPTransport)? = nil, media: MediaEngine, events: any CallEventSink,
        cdrs: (any CDRSink)? = nil, group: any EventLoopGroup, shards count: Int = 1,
        maximumChannels: Int = TenantCapacityDefaults.defaultNodeChannels, shutdownGrace: Duration = defaultShutdownGrace,
        systemName: String? = nil, logger: Logger
    ) async throws -> CallService {
        let map = CallShardMap(count: count)
        let loops = Array(group.makeIterator())
        let transport = transport ?? sip.transport
        let directory = sip.directory
        let capacity = TenantCapacity(
            directory: directory,
            defaults: .shares(ofRTPPortPairs: media.portPairCapacity, nodeChannels: maximumChannels),
            nodeChannelLimit: maximumChannels)
        let dialplans = TenantDialplans(directory: directory)
        let homes = CallHomeGate()
        var shards: [Shard] = []
        var dialogs: [SIPCallDialogs] = []
        var transactions: [NIOLoopBound<SIPTransactionLayer>] = []
        for index in 0..<map.count {
            let placement = Self.loops(ofShard: index, among: loops.count)
            let loop = loops.isEmpty ? group.next() : loops[placement.engine]
            let mediaLoop = loops.isEmpty ? loop : loops[placement.media]
            let (shard, shardDialogs, layer) = try await loop.submit {
                let driver = SIPCallDriver(loop: loop, shard: index, core: sip.core, transport: transport, logger: logger)
                let relay = MediaRelayAdapter(engine: media, loop: loop, mediaLoop: mediaLoop, logger: logger) { destination in
                    let local = transport.localAddress(toward: destination)
                    return local[..<(local.lastIndex(of: ":") ?? local.endIndex)].trimmingBrackets()
                }
                let engine = CallEngine(
                    loop: loop, driver: driver, sip: sip.core, directory: directory, events: events, media: relay,
                    dialplans: dialplans, capacity: capacity, logger: logger)
                engine.ids = UniqueIDGenerator(first: index, step: map.count, systemName: systemName)
                engine.cdrSink = cdrs
                engine.homes = homes
                driver.delegate = engine
                engine.startRTPTimeoutChecks()
                let shutdown = NIOLoopBound(CallShutdown(), eventLoop: loop)
                let boundDriver = NIOLoopBound(driver, eventLoop: loop)
                return (
                    Shard(engine: NIOLoopBound(engine, eventLoop: loop), shutdown: shutdown),
                    SIPCallDialogs(loop: loop, driver: boundDriver, shutdown: shutdown),
                    NIOLoopBound(driver.transactions, eventLoop: loop)
                )
            }.get()
            shards.append(shard)
            dialogs.append(shardDialogs)
            transactions.append(layer)
        }
        sip.attach(
            dialogs: SIPCallRouter(map: map, shards: dialogs, directory: directory),
            transactions: transactions[0], loop: transactions[0].eventLoop)
        let control = CallControl(engines: shards.map(\.engine), dialplans: dialplans, capacity: capacity, homes: homes)
        logger.info("call engine started", metadata: ["shards": "\(map.count)"])
        return CallService(control: control, shutdownGrace: shutdownGrace, shards: shards, logger: logger)
    }

    /// Which of `count` loops shard `index` runs on, and which its media legs relay on: the next
    /// one, so a single busy tenant's RTP does not compete with its own signalling for one core
    /// (with as many shards as loops, the default, every loop hosts the media of one shard); with
    /// one loop, both are that loop.
    static func loops(ofShard index: Int, among count: Int) -> (engine: Int, media: Int) {
        guard count > 0 else { return (0, 0) }
        return (index % count, (index + 1) % count)
    }

    /// `--shutdown-grace` by default: long enough for a BYE's first retransmissions (T1 = 500 ms).
    package static let defaultShutdownGrace = Duration.seconds(5)

    /// The engine's work is driven by its loop (SIP, timers, AMI actions); this waits for shutdown,
    /// then ends every call (the SIP listeners still run: the group stops them after this service).
    package func run() async throws {
        try? await gracefulShutdown()
        await endAllCalls()
    }

    /// Ends every call on every shard (BYE, CANCEL or 487 per SIP leg; new INVITEs get 503 from
    /// now on) and waits until every leg is gone and every BYE answered, at most `shutdownGrace` or
    /// until cancelled.
    package func endAllCalls() async {
        var ended = 0
        for shard in shards {
            ended +=
                (try? await shard.engine.eventLoop.submit {
                    let count = shard.engine.value.channels.count
                    shard.engine.value.endAllCalls(shard.shutdown.value)
                    return count
                }.get()) ?? 0
        }
        logger.info("shutdown: ending calls", metadata: ["channels": "\(ended)"])
        let deadline = ContinuousClock.now + shutdownGrace
        while ContinuousClock.now < deadline {
            var drained = true
            for shard in shards where drained {
                drained =
                    (try? await shard.engine.eventLoop.submit { shard.engine.value.callsDrained(shard.shutdown.value) }.get()) ?? true
            }
            if drained {
                logger.info("shutdown: every call ended")
                return
            }
            do { try await Task.sleep(for: .milliseconds(20)) } catch { break }
        }
        logger.warning("shutdown: calls still ending when the grace period ran out", metadata: ["grace": "\(shutdownGrace)"])
    }
}

/// The SIP stack's dialog traffic of one shard, handed to its call driver on its loop.
struct SIPCallDialogs: SIPDialogHandler {
    let loop: any EventLoop
    let driver: NIOLoopBound<SIPCallDriver>
    let shutdown: NIOLoopBound<CallShutdown>

    func receiveRequest(_ request: SIPRequest, from source: SIPEndpoint) {
        let driver = self.driver
        let shutdown = self.shutdown
        loop.execute {
            // Shutting down: a new call gets 503 (a retransmission gets it again from its transaction).
            if shutdown.value.draining, request.method == .invite, request.headers.to?.tag == nil {
                if !driver.value.transactions.receiveRequest(request, from: source) { driver.value.reply(request, 503, to: source) }
                return
            }
            driver.value.handleRequest(request, from: source)
        }
    }

    func receiveResponse(_ response: SIPResponse) {
        let driver = self.driver
        loop.execute { driver.value.handleResponse(response) }
    }
}

/// What logs show of the service (the service group logs each at debug level).
extension CallService: CustomStringConvertible {
    package var description: String { "CallService(shards: \(shards.count), grace: \(shutdownGrace))" }
}
