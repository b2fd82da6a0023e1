import Foundation
import Logging
import Media
import NIOCore
import SIP
import SIPServer
import ServiceLifecycle

/// The call engine as a service of the node: it runs on one event loop of its own, attached to the
/// SIP stack (dialogs in, messages out through its transport) before the SIP listeners bind.
package struct CallService: Service {
    /// The engine as AMI and the admin panel use it.
    package let control: CallControl

    /// Creates the engine and its SIP call driver on one loop of `group` and routes the SIP stack's
    /// dialog requests, requests outside dialogs and qualify through the driver's transaction layer.
    /// Messages go out through `transport`, by default the stack's sockets (a test may record them instead).
    package static func start(
        sip: SIPStack, transport: (any SIPTransport)? = nil, media: MediaEngine, events: any CallEventSink,
        group: any EventLoopGroup, logger: Logger
    ) async throws -> CallService {
        let loop = group.next()
        let transport = transport ?? sip.transport
        let directory = sip.directory
        let control = try await loop.submit {
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
            let boundDriver = NIOLoopBound(driver, eventLoop: loop)
            sip.attach(
                dialogs: SIPCallDialogs(loop: loop, driver: boundDriver),
                transactions: NIOLoopBound(driver.transactions, eventLoop: loop), loop: loop)
            return CallControl(engine: engine)
        }.get()
        return CallService(control: control)
    }

    /// The engine's work is driven by its loop (SIP, timers, AMI actions); this waits for shutdown.
    package func run() async throws {
        try? await gracefulShutdown()
    }
}

/// The SIP stack's dialog traffic, handed to the call driver on its loop.
struct SIPCallDialogs: SIPDialogHandler {
    let loop: any EventLoop
    let driver: NIOLoopBound<SIPCallDriver>

    func receiveRequest(_ request: SIPRequest, from source: SIPEndpoint) {
        let driver = self.driver
        loop.execute { driver.value.handleRequest(request, from: source) }
    }

    func receiveResponse(_ response: SIPResponse) {
        let driver = self.driver
        loop.execute { driver.value.handleResponse(response) }
    }
}
