import Foundation
import Logging
import Media
import NIOCore
import SIP
import SIPServer
import ServiceLifecycle

/// The call engine as a service of the node: it runs on one event loop of its own, attached to the
/// SIP stack (dialogs in, messages out through its transport) before the SIP listeners bind.
/// At shutdown it ends every call and waits for the legs to go, up to `shutdownGrace`.
package struct CallService: Service {
    /// The engine as AMI and the admin panel use it.
    package let control: CallControl
    /// How long shutdown waits for the BYEs and CANCELs of the calls it ends (`--shutdown-grace`).
    package let shutdownGrace: Duration
    private let engine: NIOLoopBound<CallEngine>
    private let shutdown: NIOLoopBound<CallShutdown>
    private let logger: Logger

    /// Creates the engine and its SIP call driver on one loop of `group` and routes the SIP stack's
    /// dialog requests, requests outside dialogs and qualify through the driver's transaction layer.
    /// Messages go out through `transport`, by default the stack's sockets (a test may record them instead).
    package static func start(
        sip: SIPStack, transport: (any SIPTransport)? = nil, media: MediaEngine, events: any CallEventSink,
        group: any EventLoopGroup, shutdownGrace: Duration = defaultShutdownGrace, logger: Logger
    ) async throws -> CallService {
        let loop = group.next()
        let transport = transport ?? sip.transport
        let directory = sip.directory
        let (control, engine, shutdown) = try await loop.submit {
            let driver = SIPCallDriver(loop: loop, core: sip.core, transport: transport, logger: logger)
            let relay = MediaRelayAdapter(engine: media, loop: loop, logger: logger) { destination in
                let local = transport.localAddress(toward: destination)
                return String(local[..<(local.lastIndex(of: ":") ?? local.endIndex)]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
            }
            let capacity = TenantCapacity(directory: directory, defaults: .shares(ofRTPPortPairs: media.portPairCapacity))
            let engine = CallEngine(
                loop: loop, driver: driver, sip: sip.core, directory: directory, events: events, media: relay,
                dialplans: TenantDialplans(directory: directory), capacity: capacity, logger: logger)
            driver.delegate = engine
            engine.startRTPTimeoutChecks()
            let shutdown = NIOLoopBound(CallShutdown(), eventLoop: loop)
            let boundDriver = NIOLoopBound(driver, eventLoop: loop)
            sip.attach(
                dialogs: SIPCallDialogs(loop: loop, driver: boundDriver, shutdown: shutdown),
                transactions: NIOLoopBound(driver.transactions, eventLoop: loop), loop: loop)
            return (CallControl(engine: engine), NIOLoopBound(engine, eventLoop: loop), shutdown)
        }.get()
        return CallService(control: control, shutdownGrace: shutdownGrace, engine: engine, shutdown: shutdown, logger: logger)
    }

    /// `--shutdown-grace` by default: long enough for a BYE's first retransmissions (T1 = 500 ms).
    package static let defaultShutdownGrace = Duration.seconds(5)

    /// The engine's work is driven by its loop (SIP, timers, AMI actions); this waits for shutdown,
    /// then ends every call (the SIP listeners still run: the group stops them after this service).
    package func run() async throws {
        try? await gracefulShutdown()
        await endAllCalls()
    }

    /// Ends every call (BYE, CANCEL or 487 per SIP leg; new INVITEs get 503 from now on) and waits
    /// until every leg is gone and every BYE answered, at most `shutdownGrace` or until cancelled.
    package func endAllCalls() async {
        let engine = self.engine
        let shutdown = self.shutdown
        let loop = engine.eventLoop
        let ended = try? await loop.submit {
            let count = engine.value.channels.count
            engine.value.endAllCalls(shutdown.value)
            return count
        }.get()
        logger.info("shutdown: ending calls", metadata: ["channels": "\(ended ?? 0)"])
        let deadline = ContinuousClock.now + shutdownGrace
        while ContinuousClock.now < deadline {
            let drained = (try? await loop.submit { engine.value.callsDrained(shutdown.value) }.get()) ?? true
            if drained {
                logger.info("shutdown: every call ended")
                return
            }
            do { try await Task.sleep(for: .milliseconds(20)) } catch { break }
        }
        logger.warning("shutdown: calls still ending when the grace period ran out", metadata: ["grace": "\(shutdownGrace)"])
    }
}

/// The SIP stack's dialog traffic, handed to the call driver on its loop.
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
    package var description: String { "CallService(grace: \(shutdownGrace))" }
}
