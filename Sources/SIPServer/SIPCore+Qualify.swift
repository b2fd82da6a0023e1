import Foundation
import NIOCore
import SIP

/// Qualify: every registered contact gets an OPTIONS about every `qualifyInterval` and is marked
/// reachable when any final response comes back, unreachable when none does (Timer F, 32 s) or the
/// send is refused. Each OPTIONS runs in a non-INVITE client transaction of the call driver's
/// transaction layer (retransmitted on Timer E), reached through `sender`.
struct QualifyState {
    /// Sends an OPTIONS to a destination in a client transaction; the completion gets true when a
    /// final response came, false on timeout or transport error. Set when the call driver starts.
    typealias Sender = @Sendable (SIPRequest, SIPEndpoint, @escaping @Sendable (Bool) -> Void) -> Void

    /// The contacts with an OPTIONS in flight.
    var inFlight: Set<ContactKey> = []
    /// Reachability by contact; absent means not qualified yet.
    var reachable: [ContactKey: Bool] = [:]
    /// For bindings marked unreachable: their `expiresAt` then. A binding registered again since
    /// (another `expiresAt`) counts as reachable until qualify says otherwise.
    var unreachableExpiry: [ContactKey: UInt64] = [:]
}

/// Qualify's schedule, node-wide (the results are kept per registrar stripe, in `QualifyState`).
struct QualifySchedule {
    var sender: QualifyState.Sender?
    var nextRound: NIODeadline?
    /// When UDP contacts are next sent a keep-alive.
    var nextKeepAlive: NIODeadline?
}

extension SIPCore {
    /// Runs qualify OPTIONS through `transactions`, on its loop.
    func qualify(through transactions: NIOLoopBound<SIPTransactionLayer>, loop: any EventLoop) {
        let sender: QualifyState.Sender = { request, destination, done in
            loop.execute {
                transactions.value.sendRequest(
                    request, to: destination,
                    response: { response in
                        if response.statusCode >= 200 { done(true) }
                    }, failed: { _ in done(false) })
            }
        }
        schedule.withLockedValue { $0.sender = sender }
    }

    /// The NAT keep-alive sent to UDP contacts: a CRLFCRLF datagram (RFC 5626 §4.4.1's ping, which
    /// SIP stacks discard), enough to refresh the NAT binding between the phone and us.
    static let keepAliveDatagram = ByteBuffer(string: "\r\n\r\n")

    /// NAT keep-alives due at `now`: one datagram to the source address of every UDP binding, every
    /// `keepAliveInterval` (TCP/TLS bindings are kept by the phone's own pings, which we answer).
    /// Bindings registered through a Path are left to the edge proxy, which holds their NAT binding.
    func keepAlives(now: NIODeadline) -> [SIPOutbound] {
        guard let interval = configuration.keepAliveInterval, interval > .zero else { return [] }
        let wallNow = SIPClock.wallSeconds()
        let due: Bool = schedule.withLockedValue { schedule in
            guard schedule.nextKeepAlive.map({ now >= $0 }) ?? true else { return false }
            let first = schedule.nextKeepAlive == nil
            schedule.nextKeepAlive = now + interval
            // The first round is one interval after start: a REGISTER just opened every binding.
            return !first
        }
        guard due else { return [] }
        let destinations: [SIPEndpoint] = stripes.flatMap { stripe in
            stripe.withLockedValue { state in
                state.aors.values.flatMap { aor in aor.bindings.filter { $0.expiresAt > wallNow } }
            }.filter { $0.path.isEmpty }.compactMap { Self.endpoint($0) }.filter { $0.transport == .udp }
        }
        return Set(destinations.map(\.address)).map {
            SIPOutbound(destination: SIPEndpoint(transport: .udp, address: $0), bytes: Self.keepAliveDatagram)
        }
    }

    /// Periodic work: qualify rounds and NAT keep-alives. Returns messages to send (the keep-alives;
    /// qualify sends through its transactions).
    func tick(now: NIODeadline) -> [SIPOutbound] {
        let keepAlives = keepAlives(now: now)
        let sender: QualifyState.Sender? = schedule.withLockedValue { schedule in
            guard let sender = schedule.sender, schedule.nextRound.map({ now >= $0 }) ?? true else { return nil }
            schedule.nextRound = now + configuration.qualifyInterval
            return sender
        }
        guard let sender else { return keepAlives }
        // Under each stripe's lock only the bindings due are picked (and marked in flight); their
        // OPTIONS are built and sent after it (the local address toward a contact may need a syscall).
        for stripe in stripes {
            let due: [(key: ContactKey, binding: RegistrarBinding, destination: SIPEndpoint)] = stripe.withLockedValue { state in
                var due: [(key: ContactKey, binding: RegistrarBinding, destination: SIPEndpoint)] = []
                for (aorKey, aor) in state.aors {
                    for binding in aor.bindings {
                        let key = ContactKey(aor: aorKey, binding: binding.key)
                        guard !state.qualify.inFlight.contains(key), let destination = Self.endpoint(binding) else { continue }
                        state.qualify.inFlight.insert(key)
                        due.append((key, binding, destination))
                    }
                }
                return due
            }
            for item in due {
                sender(optionsRequest(to: item.binding, destination: item.destination), item.destination) { [self] reachable in
                    stripe.withLockedValue { state in
                        state.qualify.inFlight.remove(item.key)
                        setReachable(reachable, key: item.key, state: &state)
                        state.qualify.unreachableExpiry[item.key] = reachable ? nil : item.binding.expiresAt
                    }
                }
            }
        }
        return keepAlives
    }

    /// Responses to qualify OPTIONS are matched by their transactions in the call driver; nothing
    /// is consumed here (kept for the core's routing: false sends the response on to the driver).
    func receiveResponse(_ response: SIPResponse, now: NIODeadline) -> Bool {
        false
    }

    /// The live bindings of an extension that qualify has not found unreachable (a binding not
    /// qualified yet counts as reachable), for calls to it: an extension whose every phone stopped
    /// answering OPTIONS is dialled as if unregistered, so Dial ends at once with CHANUNAVAIL
    /// instead of ringing into the void for Timer B (as res_pjsip skips unavailable contacts).
    package func reachableBindings(tenant: UUID, number: String) -> [RegistrarBinding] {
        let all = bindings(tenant: tenant, number: number)
        let aorKey = TenantName(tenant, number)
        return stripe(of: tenant).withLockedValue { state in
            all.filter { binding in
                let key = ContactKey(aor: aorKey, binding: binding.key)
                return state.qualify.reachable[key] != false || state.qualify.unreachableExpiry[key] != binding.expiresAt
            }
        }
    }

    /// The tenant's live bindings with their reachability, for the admin panel.
    func registrations(tenant: UUID) -> [SIPServer.RegistrationInfo] {
        let now = SIPClock.wallSeconds()
        return stripe(of: tenant).withLockedValue { state in
            state.aors.filter { $0.value.tenant == tenant }.sorted { $0.value.number < $1.value.number }.flatMap { key, aor in
                aor.bindings.filter { $0.expiresAt > now }.map { binding in
                    SIPServer.RegistrationInfo(
                        number: aor.number, contact: binding.contact.uri.description, source: binding.source,
                        transport: binding.transport, userAgent: binding.userAgent,
                        expiresAt: Double(binding.expiresAt), reachable: state.qualify.reachable[ContactKey(aor: key, binding: binding.key)])
                }
            }
        }
    }

    private func setReachable(_ reachable: Bool, key: ContactKey, state: inout State) {
        if state.qualify.reachable[key] != reachable {
            logger.info("SIP contact \(reachable ? "reachable" : "unreachable")", metadata: ["contact": "\(key)"])
        }
        state.qualify.reachable[key] = reachable
    }

    private func optionsRequest(to binding: RegistrarBinding, destination: SIPEndpoint) -> SIPRequest {
        let local = localAddress(destination)
        let callID = "\(Self.newTag())\(Self.newTag())@centralino"
        var headers = SIPHeaders()
        headers.add(.via, "SIP/2.0/\(destination.transport.rawValue.uppercased()) \(local);branch=\(SIPVia.magicCookie)\(Self.newTag());rport")
        headers.add(.maxForwards, "70")
        headers.add(.from, "<sip:centralino@\(local)>;tag=\(Self.newTag())")
        headers.add(.to, "<\(binding.contact.uri)>")
        headers.add(.callID, callID)
        headers.add(.cseq, "1 OPTIONS")
        headers.add(.userAgent, Self.serverName)
        for hop in binding.path { headers.add(.route, hop) }
        return SIPRequest(method: .options, uri: binding.contact.uri, headers: headers)
    }

    /// Where requests to a binding go: its first Path hop (RFC 3327, loose routing: the Path is the
    /// request's Route set, the Request-URI stays the contact) when that hop's host is an IP address,
    /// else the source its REGISTER came from, on the same transport.
    package static func endpoint(_ binding: RegistrarBinding) -> SIPEndpoint? {
        if let hop = binding.firstHop, let endpoint = endpoint(hop) { return endpoint }
        guard let colon = binding.source.lastIndex(of: ":"), let port = Int(binding.source[binding.source.index(after: colon)...]) else { return nil }
        let host = binding.source[..<colon].trimmingBrackets()
        guard let address = try? SocketAddress(ipAddress: host, port: port) else { return nil }
        return SIPEndpoint(transport: SIPEndpoint.Transport(rawValue: binding.transport) ?? .udp, address: address)
    }

    /// A Path hop's address: an IP-literal host, its port (5060, 5061 for `sips`), its `transport`
    /// parameter (`udp` when absent, TLS for `sips`); nil for a host name (the REGISTER's source is used instead).
    static func endpoint(_ hop: SIPURI) -> SIPEndpoint? {
        let host = hop.host.trimmingBrackets()
        let port = hop.port ?? (hop.scheme == "sips" ? 5061 : 5060)
        guard let address = try? SocketAddress(ipAddress: host, port: port) else { return nil }
        let transport: SIPEndpoint.Transport
        switch (hop.scheme, hop.parameters["transport"]?.lowercased()) {
        case ("sips", _), (_, "tls"): transport = .tls
        case (_, nil), (_, "udp"): transport = .udp
        case (_, "tcp"): transport = .tcp
        default: return nil
        }
        return SIPEndpoint(transport: transport, address: address)
    }
}

/// One registered contact of an address of record (`aor|binding` in logs).
struct ContactKey: Hashable, CustomStringConvertible {
    let aor: TenantName
    let binding: String
    var description: String { "\(aor)|\(binding)" }
}
