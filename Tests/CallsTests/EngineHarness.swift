import AMI
import Foundation
import Logging
import NIOCore
import NIOEmbedded
import PBX
import SIP
import SIPServer
import Store
import XCTest

@testable import Calls

/// The call engine in-process: one `EmbeddedEventLoop` (its time is the manual clock), the real SIP
/// core and call driver (no sockets), a transport that records what would be sent, a media relay
/// that hands out fake ports, a tenant with extensions 100 and 101 registered at two phones and a
/// trunk reached with the prefix `0`. Tests play the phones and the trunk by answering what was sent.
final class EngineHarness {
    static let phone100 = endpoint("192.0.2.10")
    static let phone101 = endpoint("192.0.2.11")
    static let trunkPeer = endpoint("192.0.2.20")

    let loop = EmbeddedEventLoop()
    let transport = RecordingTransport()
    let media: FakeMediaRelay
    let events = RecordingEvents()
    let tenant: Tenant
    let engine: CallEngine
    var driver: SIPCallDriver { engine.driver }
    /// Originate outcomes, in order.
    private(set) var outcomes: [OriginateOutcome] = []

    /// How a message from a far end reaches the engine: by default straight to this harness's
    /// driver; a sharded test routes it through `SIPCallRouter` to whichever shard it belongs to.
    var deliver: ((SIPMessage, SIPEndpoint) -> Void)?

    /// One engine (shard 0 of 1) for tenant `acme`.
    convenience init() {
        let tenant = Tenant(uuid: UUID(), name: "acme", domain: "acme.test")
        self.init(tenant: tenant, stack: Self.stack(tenants: [tenant]))
    }

    /// Shard `shard` of `shards` for `tenant`, on the SIP core of `stack` (which may hold other
    /// tenants, each served by its own harness). `dialplans`: the tenant's dialplan from another
    /// source than its generated one.
    init(
        tenant: Tenant, stack: SIPStack, shard: Int = 0, shards: Int = 1, capacity: TenantCapacity? = nil,
        dialplans: (any CallDialplanProvider)? = nil
    ) {
        let logger = Logger(label: "engine-test")
        self.tenant = tenant
        let directory = stack.directory
        media = FakeMediaRelay(loop: loop)
        let driver = SIPCallDriver(loop: loop, shard: shard, core: stack.core, transport: transport, logger: logger)
        engine = CallEngine(
            loop: loop, driver: driver, sip: stack.core, directory: directory, events: events, media: media,
            dialplans: dialplans ?? TenantDialplans(directory: directory),
            capacity: capacity ?? TenantCapacity(directory: directory, defaults: .shares(ofRTPPortPairs: 100)), logger: logger)
        engine.ids = UniqueIDGenerator(first: shard, step: shards)
        driver.delegate = engine
    }

    /// The SIP stack of a node with `tenants`: each has extensions 100 and 101 (password `secret`)
    /// registered at `phone100` and `phone101`, and a trunk reached with the prefix `0`.
    static func stack(tenants: [Tenant]) -> SIPStack {
        let logger = Logger(label: "engine-test")
        let directory = SIPDirectory()
        let extensions = tenants.flatMap { tenant in
            ["100", "101"].map {
                DirectoryExtension(
                    tenant: tenant, number: $0, name: "Ext \($0)",
                    ha1MD5: Digest.ha1(username: $0, realm: tenant.domain, password: Self.password, algorithm: .md5), ha1SHA256: "")
            }
        }
        directory.replace(
            tenants: tenants, extensions: extensions,
            trunks: tenants.map { DirectoryTrunk(tenant: $0.uuid, trunk: Trunk(name: "carrier", host: "192.0.2.20", port: 5060), password: nil) },
            routes: tenants.map { ($0.uuid, OutboundRoute(prefix: "0", trunk: "carrier", strip: 1)) })
        let expires = Date().timeIntervalSince1970 + 3600
        let registrations = tenants.flatMap { tenant in
            [("100", Self.phone100), ("101", Self.phone101)].map { number, phone in
                RegistrationRecord(
                    tenant: tenant.uuid, number: number, bindingKey: "<sip:\(number)@\(phone.ip):5060>",
                    contact: "<sip:\(number)@\(phone.ip):5060>", instance: nil, callID: "reg-\(number)-\(tenant.name)", cseq: 1,
                    expiresAt: expires, source: "\(phone.ip):5060", transport: "udp", userAgent: "phone")
            }
        }
        return SIPStack(
            configuration: SIPServerConfiguration(host: "192.0.2.1", port: 5060), directory: directory,
            registrations: registrations, logger: logger)
    }

    /// The SIP password of every extension.
    static let password = "secret"

    static func endpoint(_ ip: String) -> SIPEndpoint {
        SIPEndpoint(transport: .udp, address: try! SocketAddress(ipAddress: ip, port: 5060))
    }

    // MARK: - Actions

    /// An AMI Originate of `channel` (`Local/100@internal`) to `exten` in `internal`, admitted first
    /// as the AMI session admits it (a reservation of the tenant's capacity).
    func originate(_ channel: String, exten: String, timeout: Int = 30000) {
        let request = Self.originateRequest(channel, exten: exten, timeout: timeout)
        XCTAssertNil(admit(request), "the Originate is admitted")
        engine.originate(request, tenant: tenant.uuid) { self.outcomes.append($0) }
        loop.run()
    }

    /// The AMI session's admission of `request` (`CallControl.admitOriginate`).
    func admit(_ request: OriginateRequest) -> TenantCapacityRefusal? {
        let needed = CallEngine.capacityNeeded(for: request)
        return engine.capacity.admitOriginate(tenant: tenant.uuid, channels: needed.channels, mediaLegs: needed.mediaLegs)
    }

    /// The request of an AMI Originate of `channel` to `exten` in `internal`.
    static func originateRequest(_ channel: String, exten: String, timeout: Int = 30000) -> OriginateRequest {
        let message = AMIMessage([
            "Action": "Originate", "Channel": channel, "Context": "internal", "Exten": exten, "Priority": "1",
            "Timeout": String(timeout), "CallerID": "\"Agent\" <100>", "Async": "true", "ActionID": "o1",
        ])
        return try! OriginateRequest.parse(message, writePermissions: [.call, .system])
    }

    /// Moves the manual clock on, running whatever timers fall due. The clock starts at 0, and timers of
    /// 1 s or more fire on a 50 ms grid (`LoopTimerQueue`): tests that advance by multiples of 50 ms see
    /// them at their exact value.
    func advance(_ amount: TimeAmount) {
        loop.advanceTime(by: amount)
    }

    /// Runs `body` as an AMI action would, on the loop.
    func action<T>(_ body: (CallEngine) -> T) -> T {
        defer { loop.run() }
        return body(engine)
    }

    /// The live channel whose name starts with `prefix`.
    func channel(_ prefix: String) -> CallChannel? {
        engine.channels.values.first { $0.name.hasPrefix(prefix) }
    }

    // MARK: - The far ends

    /// The one new request with `method` sent to `destination` since the last call (retransmissions
    /// of one request count once); fails the test when there is none or more than one. Other
    /// messages stay for later checks.
    func expectRequest(
        _ method: SIPMethod, to destination: SIPEndpoint, file: StaticString = #filePath, line: UInt = #line
    ) -> SIPRequest? {
        let found = transport.take { $0.message.request?.method == method && $0.destination == destination }
            .compactMap(\.message.request)
        let distinct = found.reduce(into: [SIPRequest]()) { list, request in
            if !list.contains(where: { $0.headers.topVia?.branch == request.headers.topVia?.branch }) { list.append(request) }
        }
        XCTAssertEqual(distinct.count, 1, "\(method.rawValue) to \(destination): \(distinct.map(\.method))", file: file, line: line)
        return distinct.first
    }

    /// The far end answers `request` (an INVITE, BYE or CANCEL the engine sent) with `status`; a 2xx
    /// to an INVITE carries an SDP answer and a Contact.
    func respond(to request: SIPRequest, _ status: Int, tag: String = "far-tag", from peer: SIPEndpoint) {
        var response = SIPResponse(replyingTo: request, statusCode: status, toTag: status > 100 ? tag : nil)
        if request.method == .invite, (200..<300).contains(status) {
            response.headers.add(.contact, "<sip:far@\(peer.ip):5060>")
            response.headers.add(.contentType, "application/sdp")
            response.body = ByteBuffer(string: Self.answerSDP(host: peer.ip))
        }
        receive(.response(response), from: peer)
    }

    /// A message from a far end reaches the engine (see `deliver`), and what it sets off runs.
    func receive(_ message: SIPMessage, from peer: SIPEndpoint) {
        if let deliver {
            deliver(message, peer)
            return
        }
        switch message {
        case .request(let request): driver.handleRequest(request, from: peer)
        case .response(let response): driver.handleResponse(response)
        }
        loop.run()
    }

    /// The far end of the dialog that `invite` (ours, answered with `tag`) started sends BYE.
    func farEndBye(dialogOf invite: SIPRequest, tag: String = "far-tag", from peer: SIPEndpoint) {
        farEndRequest(.bye, cseq: 1, dialogOf: invite, tag: tag, from: peer)
    }

    /// The far end of the dialog that `invite` (ours, answered with `tag`) sends `method`; a
    /// re-INVITE carries an SDP offer.
    func farEndRequest(_ method: SIPMethod, cseq: Int, dialogOf invite: SIPRequest, tag: String = "far-tag", from peer: SIPEndpoint) {
        var headers = SIPHeaders()
        headers.add(.via, "SIP/2.0/UDP \(peer.ip):5060;branch=z9hG4bK-\(method.rawValue.lowercased())-\(UUID().uuidString.prefix(8))")
        headers.add(.maxForwards, "70")
        headers.add(.from, "\(invite.headers[.to] ?? "");tag=\(tag)")
        headers.add(.to, invite.headers[.from] ?? "")
        headers.add(.callID, invite.headers.callID ?? "")
        headers.add(.cseq, "\(cseq) \(method.rawValue)")
        var request = SIPRequest(method: method, uri: SIPURI(user: "centralino", host: "192.0.2.1", port: 5060), headers: headers)
        if method == .invite {
            request.headers.add(.contact, "<sip:far@\(peer.ip):5060>")
            request.headers.add(.contentType, "application/sdp")
            request.body = ByteBuffer(string: Self.answerSDP(host: peer.ip))
        }
        receive(.request(request), from: peer)
    }

    /// The responses sent to `peer` since the last call.
    func responses(to peer: SIPEndpoint) -> [SIPResponse] {
        transport.take { $0.destination == peer && $0.message.response != nil }.compactMap(\.message.response)
    }

    static func answerSDP(host: String) -> String {
        "v=0\r\no=- 1 1 IN IP4 \(host)\r\ns=-\r\nc=IN IP4 \(host)\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0 101\r\n"
            + "a=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n"
    }

    // MARK: - Checks

    func eventNames() -> [String] { events.events.map(\.name) }

    /// Nothing left behind: no channel, no SIP leg, no transaction, every media port closed, no
    /// capacity held.
    func assertIdle(file: StaticString = #filePath, line: UInt = #line) {
        // Transactions linger for their absorbing timers (Timer D, J, K: at most 64·T1).
        advance(.seconds(64))
        XCTAssertEqual(engine.channels.count, 0, "channels: \(engine.channels.values.map(\.name))", file: file, line: line)
        XCTAssertEqual(engine.channelByLeg.count, 0, "legs of channels", file: file, line: line)
        XCTAssertEqual(driver.legs.count, 0, "SIP legs", file: file, line: line)
        XCTAssertEqual(driver.transactions.count, 0, "transactions", file: file, line: line)
        XCTAssertEqual(media.openPorts, 0, "media ports open", file: file, line: line)
        XCTAssertEqual(engine.capacity.snapshot(tenant: tenant.uuid).channels, 0, "channels counted", file: file, line: line)
        XCTAssertEqual(engine.capacity.snapshot(tenant: tenant.uuid).rtpPortPairs, 0, "media legs counted", file: file, line: line)
        XCTAssertTrue(engine.deviceUsage.isEmpty, "devices with live channels: \(engine.deviceUsage)", file: file, line: line)
        XCTAssertTrue(engine.reservations.isEmpty, "Originate reservations: \(engine.reservations)", file: file, line: line)
        let reserved = engine.capacity.reserved(tenant: tenant.uuid)
        XCTAssertTrue(reserved == (0, 0), "capacity reserved: \(reserved)", file: file, line: line)
    }
}

/// One message the engine sent, parsed, and where it went.
struct SentMessage {
    var message: SIPMessage
    var destination: SIPEndpoint
}

/// A transport that parses and keeps what it is given instead of sending it.
final class RecordingTransport: SIPTransport, @unchecked Sendable {
    private var sent: [SentMessage] = []

    func send(_ outbound: SIPOutbound, failed: (@Sendable (String) -> Void)?) {
        var bytes = outbound.bytes
        guard let message = try? SIPMessageParser().parseDatagram(&bytes) else {
            XCTFail("the engine sent an unparsable message")
            return
        }
        sent.append(SentMessage(message: message, destination: outbound.destination))
    }

    func localAddress(toward destination: SIPEndpoint) -> String { "192.0.2.1:5060" }

    /// What was sent since the last call (of what `matching` picks; the rest stays).
    func take(_ matching: (SentMessage) -> Bool = { _ in true }) -> [SentMessage] {
        defer { sent.removeAll(where: matching) }
        return sent.filter(matching)
    }
}

/// Media ports that relay nothing: they remember what the engine asked of them.
final class FakeMediaRelay: CallMediaRelay {
    let loop: EmbeddedEventLoop
    private(set) var ports: [FakeMediaPort] = []
    var inactivityTimeout: TimeAmount? { nil }
    var openPorts: Int { ports.filter { !$0.closed }.count }

    init(loop: EmbeddedEventLoop) { self.loop = loop }

    func openPort(toward destination: SIPEndpoint, _ completion: @escaping (Result<any CallMediaPort, any Error>) -> Void) {
        let port = FakeMediaPort(port: 20000 + 2 * ports.count)
        ports.append(port)
        // As the real relay: the completion runs later on the call loop.
        loop.execute { completion(.success(port)) }
    }

    /// Openings complete on the next loop turn, so none is ever left to wait for.
    var isOpening: Bool { false }
}

final class FakeMediaPort: CallMediaPort {
    let host = "192.0.2.1"
    let port: Int
    private(set) var remote: (host: String, port: Int)?
    fileprivate(set) weak var bridged: FakeMediaPort?
    private(set) var closed = false

    init(port: Int) { self.port = port }

    func setRemote(host: String, port: Int) { remote = (host, port) }
    func idleTime(at now: UInt64, counting: Bool) -> UInt64 { 0 }
    /// As the relay: one call connects both ports.
    func bridge(with other: any CallMediaPort) {
        bridged = other as? FakeMediaPort
        bridged?.bridged = self
    }
    func unbridge() { bridged = nil }
    func startRingback(payloadType: Int, country: String) {}
    func stopTone() {}
    func close() { closed = true }
}

/// The PBX events the engine raised, in order.
final class RecordingEvents: CallEventSink, @unchecked Sendable {
    private(set) var events: [PBXEvent] = []

    func publish(_ event: PBXEvent) { events.append(event) }
}
