import Crypto
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NodeSupport
import PBX
import SIP

/// The SIP request logic of a node: registrar with digest authentication, OPTIONS, polite refusals,
/// and qualify of registered contacts. Retransmissions are the transaction layer's business.
///
/// The listeners feed it messages with their source and the time and send what it returns (400s to
/// malformed input); requests outside dialogs are answered through server transactions of the call
/// driver's `SIPTransactionLayer`, on its loop. Registrar state is striped by tenant over
/// `stripeCount` locks (`stripe(of:)`); nothing here blocks.
package final class SIPCore: Sendable {
    /// Methods this node answers.
    package static let allowedMethods = "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, UPDATE"
    package static let serverName = "Centralino"

    package let configuration: SIPServerConfiguration
    package let directory: SIPDirectory
    let registrar: Registrar
    let nonces: DigestNonce
    /// Nonce counts used with valid credentials, so none is accepted twice (digest replay).
    let nonceCounts = NIOLockedValueBox(DigestNonceCounts())
    let loginGuard: LoginGuard
    /// Open SIP/TCP connections under their caps, and the registrations that keep them open.
    let connections: SIPConnectionBook
    let logger: Logger
    /// Where trunk host names are resolved (SRV, then A/AAAA), off the event loops.
    package let resolver: SIPHostResolver
    /// The address Centralino uses toward a destination (for Via and Contact in its own requests).
    let localAddress: @Sendable (SIPEndpoint) -> String

    /// Registrar state striped by tenant (`stripe(of:)`): a tenant's registrations, their changes and
    /// their qualify results sit behind one of `stripeCount` locks, so tenants served on different
    /// loops rarely wait for each other.
    let stripes: [NIOLockedValueBox<State>] = (0..<SIPCore.stripeCount).map { _ in NIOLockedValueBox(State()) }
    /// When qualify and keep-alives next run, and how OPTIONS are sent (node-wide).
    let schedule = NIOLockedValueBox(QualifySchedule())
    /// Locks the registrar state is striped over.
    static let stripeCount = 16
    /// Where dialog requests (INVITE, ACK, BYE, CANCEL, …) and responses to our INVITEs go: the call driver.
    let dialogs = NIOLockedValueBox<(any SIPDialogHandler)?>(nil)
    /// Where REGISTER, OPTIONS and other requests outside dialogs get their server transactions.
    let requestTransactions = NIOLockedValueBox<RequestTransactions?>(nil)

    /// Methods that belong to dialogs (or create them): they go to the dialog handler.
    package static let dialogMethods: Set<SIPMethod> = [.invite, .ack, .bye, .cancel, .update, .info]

    struct AddressOfRecord {
        var tenant: UUID
        var number: String
        var bindings: [RegistrarBinding]
    }

    /// The transaction layer requests outside dialogs are answered through, and its loop.
    struct RequestTransactions: Sendable {
        var loop: any EventLoop
        var layer: NIOLoopBound<SIPTransactionLayer>
    }

    struct State {
        var aors: [TenantName: AddressOfRecord] = [:]
        var dirty: Set<TenantName> = []
        var qualify = QualifyState()
    }

    init(
        configuration: SIPServerConfiguration, directory: SIPDirectory, logger: Logger,
        localAddress: @escaping @Sendable (SIPEndpoint) -> String
    ) {
        self.configuration = configuration
        self.directory = directory
        self.registrar = Registrar(policy: configuration.registrar)
        self.nonces = DigestNonce(key: SymmetricKey(size: .bits256), lifetime: configuration.nonceLifetime)
        self.loginGuard = LoginGuard(policy: configuration.lockout)
        self.connections = SIPConnectionBook(
            limits: .init(
                total: configuration.tcpMaximumConnections,
                perAddress: configuration.tcpMaximumConnectionsPerAddress))
        self.logger = logger
        self.resolver = SIPHostResolver(
            nameserver: configuration.dnsServer ?? SIPHostResolver.systemNameserver(),
            queryTimeout: configuration.dnsTimeout, maximumCacheEntries: configuration.dnsCacheEntries,
            logger: logger)
        self.localAddress = localAddress
    }

    // MARK: - Inbound

    func receive(_ message: SIPMessage, from source: SIPEndpoint, now: NIODeadline, wallClock: UInt64) -> [SIPOutbound] {
        switch message {
        case .response(let response):
            if !receiveResponse(response, now: now) { dialogs.withLockedValue { $0 }?.receiveResponse(response) }
            return []
        case .request(var request):
            Self.stampVia(&request, source: source)
            return receiveRequest(request, from: source, now: now, wallClock: wallClock)
        }
    }

    /// Records where a request really came from in its top Via (`received`, and `rport` when the
    /// client asked for it, RFC 3581), so every response carries it and goes back there.
    static func stampVia(_ request: inout SIPRequest, source: SIPEndpoint) {
        guard var vias = request.headers.vias, var top = vias.first else { return }
        if top.hasRport {
            top.parameters["rport"] = String(source.port)
            top.parameters["received"] = source.ip
        } else if top.host.trimmingBrackets() != source.ip {
            top.parameters["received"] = source.ip
        } else {
            return
        }
        vias[0] = top
        request.headers.remove(.via)
        for via in vias.reversed() { request.headers.prepend(.via, via.description) }
    }

    /// A request that could not be parsed: 400 (or 505/513) when it can be addressed, else nothing.
    func malformed(_ error: SIPParseError, from source: SIPEndpoint) -> [SIPOutbound] {
        logger.info("malformed SIP message", metadata: ["from": "\(source)", "error": "\(error)"])
        guard !error.isResponse, let headers = error.replyHeaders else { return [] }
        var response = SIPResponse(replyingTo: headers, statusCode: error.statusCode, reasonPhrase: error.reasonPhrase, toTag: Self.newTag())
        response.headers.add(.server, Self.serverName)
        return [SIPOutbound(destination: source, bytes: response.serialized)]
    }

    private func receiveRequest(_ request: SIPRequest, from source: SIPEndpoint, now: NIODeadline, wallClock: UInt64) -> [SIPOutbound] {
        if Self.dialogMethods.contains(request.method), let dialogs = dialogs.withLockedValue({ $0 }) {
            if let unsupported = unsupportedRequirements(request), request.method == .invite {
                return [SIPOutbound(destination: source, bytes: reply(request, 420, extra: [(.unsupported, unsupported)]).serialized)]
            }
            dialogs.receiveRequest(request, from: source)
            return []
        }
        if request.method == .ack { return [] }
        guard let transactions = requestTransactions.withLockedValue({ $0 }) else {
            // Before the call driver starts (never once listening): answered once, without transaction state.
            let (response, delay) = answer(request, from: source, now: now, wallClock: wallClock)
            return [SIPOutbound(destination: source, bytes: response.serialized, delay: delay)]
        }
        // RFC 3261 §17.2.2: a non-INVITE server transaction per request, in the transaction layer on
        // the call driver's loop. A retransmission is answered (or, before our answer, absorbed) by
        // its transaction and never reaches the registrar again: no second digest check, nonce-count
        // use or lockout count. The transaction lingers for Timer J (UDP).
        transactions.loop.execute { [self] in
            let layer = transactions.layer.value
            if layer.receiveRequest(request, from: source) { return }
            let (response, delay) = answer(request, from: source, now: now, wallClock: wallClock)
            guard let delay else {
                layer.respond(to: request, with: response, destination: source)
                return
            }
            // A failed digest is answered late; retransmissions meanwhile are absorbed (Trying state).
            transactions.loop.scheduleTask(in: delay) {
                transactions.layer.value.respond(to: request, with: response, destination: source)
            }
        }
        return []
    }

    /// The response to a request outside dialogs, and how long to hold it back (a failed digest).
    private func answer(_ request: SIPRequest, from source: SIPEndpoint, now: NIODeadline, wallClock: UInt64) -> (SIPResponse, TimeAmount?) {
        if let unsupported = unsupportedRequirements(request) {
            return (reply(request, 420, extra: [(.unsupported, unsupported)]), nil)
        }
        switch request.method {
        case .register:
            return register(request, from: source, now: now, wallClock: wallClock)
        case .options:
            return (reply(request, 200, extra: [(.allow, Self.allowedMethods), (.accept, "application/sdp")]), nil)
        case .cancel:
            return (reply(request, 481), nil)
        default:
            return (reply(request, 405, extra: [(.allow, Self.allowedMethods)]), nil)
        }
    }

    /// Answers requests outside dialogs (REGISTER, OPTIONS, refusals) through `transactions`, on
    /// its loop. Called once when the call driver starts, before the listeners bind.
    func serveRequests(through transactions: NIOLoopBound<SIPTransactionLayer>, loop: any EventLoop) {
        requestTransactions.withLockedValue { $0 = RequestTransactions(loop: loop, layer: transactions) }
    }

    /// Sends dialog requests and responses to our INVITEs to `handler` from now on. Called once when
    /// the call engine starts, before the listeners bind.
    func routeDialogs(to handler: any SIPDialogHandler) {
        dialogs.withLockedValue { $0 = handler }
    }

    /// Option tags the request requires that this node does not support (RFC 3261 §8.2.2.3).
    private func unsupportedRequirements(_ request: SIPRequest) -> String? {
        guard request.method != .cancel else { return nil }
        let required = request.headers.values(.require).flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return required.isEmpty ? nil : required.joined(separator: ", ")
    }

    package func reply(_ request: SIPRequest, _ status: Int, reason: String? = nil, extra: [(SIPHeaderName, String)] = []) -> SIPResponse {
        var response = SIPResponse(
            replyingTo: request, statusCode: status, reasonPhrase: reason,
            toTag: request.headers.to?.tag == nil ? Self.newTag() : nil)
        for (name, value) in extra {
            response.headers.add(name, value)
        }
        response.headers.add(.server, Self.serverName)
        return response
    }

    package static func newTag() -> String {
        var random = PooledRandom()
        return String(random.next(), radix: 36)
    }

    /// The registrar state stripe of `tenant`.
    func stripe(of tenant: UUID) -> NIOLockedValueBox<State> {
        stripes[Int(UInt(bitPattern: tenant.hashValue) % UInt(stripes.count))]
    }
}
