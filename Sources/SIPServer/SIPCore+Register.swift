import AMI
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import PBX
import SIP
import Store

/// REGISTER: tenant by domain, digest authentication, then the registrar rules.
extension SIPCore {
    func register(_ request: SIPRequest, from source: SIPEndpoint, now: NIODeadline, wallClock: UInt64) -> (SIPResponse, TimeAmount?) {
        guard let to = request.headers.to, let user = to.uri.user, !user.isEmpty else {
            return (reply(request, 400, reason: "Bad Request - To has no user"), nil)
        }
        guard let tenant = directory.tenant(forHost: to.uri.host) else {
            return (reply(request, 404, reason: "Not Found"), nil)
        }
        switch checkDigest(request, user: user, tenant: tenant, source: source, now: now, wallClock: wallClock) {
        case .refuse(let response, let delay):
            return (response, delay)
        case .authenticated:
            var request = request
            if request.headers.count(of: .path) > 0, !isTrustedEdge(source) {
                // Only an edge proxy may name where requests to the phone go (RFC 3327 §5.3): a Path
                // from anyone else would send INVITEs and OPTIONS to any address it names. Ignored,
                // so the phone is registered as a direct one (reached at the REGISTER's source).
                logger.notice(
                    "SIP Path ignored: REGISTER not from a trusted edge (--sip-trusted-edges)",
                    metadata: ["from": "\(source)", "user": "\(user)@\(tenant.domain)"])
                request.headers.remove(.path)
                SIPMetrics.pathIgnored.increment()
            }
            return (updateBindings(request, tenant: tenant, number: user, source: source, wallClock: wallClock), nil)
        }
    }

    package enum DigestCheck {
        /// Answer with this (401 challenge, or 403 when locked out), possibly after a delay.
        case refuse(SIPResponse, delay: TimeAmount?)
        case authenticated(DirectoryExtension)
    }

    /// Digest authentication of `user` in `tenant` with lockout and slowing, shared by REGISTER and INVITE.
    package func checkDigest(
        _ request: SIPRequest, user: String, tenant: Tenant, source: SIPEndpoint, now: NIODeadline, wallClock: UInt64
    ) -> DigestCheck {
        let account = TenantName(tenant.uuid, user.lowercased()).description
        if loginGuard.isLockedOut(source.ip, account: account, now: now) {
            logger.notice("SIP request refused: locked out", metadata: ["from": "\(source)", "user": "\(user)@\(tenant.domain)"])
            return .refuse(reply(request, 403, reason: "Forbidden"), delay: nil)
        }
        switch authenticate(request, user: user, tenant: tenant, source: source, wallClock: wallClock) {
        case .challenge(let stale):
            return .refuse(challenge(request, realm: tenant.domain, stale: stale, source: source, wallClock: wallClock), delay: nil)
        case .failed:
            if let lockout = loginGuard.recordFailure(source.ip, account: account, now: now) {
                logger.warning(
                    "SIP locked out after repeated digest failures",
                    metadata: ["from": "\(source.ip)", "scope": "\(lockout == .address ? "address" : "account \(user)@\(tenant.domain)")"])
            }
            logger.notice("SIP digest failed", metadata: ["from": "\(source)", "user": "\(user)@\(tenant.domain)"])
            return .refuse(
                challenge(request, realm: tenant.domain, stale: false, source: source, wallClock: wallClock), delay: configuration.failureDelay)
        case .authenticated(let stored):
            loginGuard.recordSuccess(source.ip, account: account)
            return .authenticated(stored)
        }
    }

    enum Authentication {
        case challenge(stale: Bool)
        case failed
        case authenticated(DirectoryExtension)
    }

    /// The same answer for unknown and known users, so extensions cannot be enumerated.
    ///
    /// Against replay (RFC 3261 §22.4, RFC 7616 §3.3): the nonce must be ours, issued to this source
    /// address and not stale; the signed `uri` must be this request's Request-URI; and a nonce count
    /// is accepted once (a replayed or reused one gets a new challenge with `stale=true`).
    private func authenticate(_ request: SIPRequest, user: String, tenant: Tenant, source: SIPEndpoint, wallClock: UInt64) -> Authentication {
        let credentials = request.headers.all(.authorization).compactMap(DigestCredentials.init)
            .first { $0.realm.lowercased() == tenant.domain.lowercased() && configuration.digestAlgorithms.contains($0.algorithm) }
        guard let credentials else { return .challenge(stale: false) }
        switch nonces.validate(credentials.nonce, now: wallClock, boundTo: source.ip) {
        case .invalid: return .challenge(stale: false)
        case .stale: return .challenge(stale: true)
        case .valid: break
        }
        let stored = directory.directoryExtension(tenant: tenant.uuid, number: credentials.username)
        let ha1: String
        switch credentials.algorithm {
        case .sha256: ha1 = stored?.ha1SHA256 ?? Self.decoyHA1
        default: ha1 = stored?.ha1MD5 ?? Self.decoyHA1
        }
        let valid = Digest.isValid(credentials, ha1: ha1, method: request.method)
        guard let stored, valid, credentials.username == user else { return .failed }
        guard
            Digest.uri(credentials.uri, matches: request.uri) || namesThisServer(credentials.uri, toward: source)
                || namesProxy(credentials.uri, of: request, source: source)
        else {
            logger.warning(
                "SIP digest signed for another Request-URI refused (replay?)",
                metadata: ["uri": "\(credentials.uri)", "request-uri": "\(request.uri)", "user": "\(user)@\(tenant.domain)"])
            return .failed
        }
        let use = nonceCounts.withLockedValue {
            $0.use(nonce: credentials.nonce, nonceCount: credentials.nonceCount, now: wallClock, expires: wallClock + nonces.lifetime + 1)
        }
        guard use == .fresh else {
            logger.notice(
                "SIP digest nonce count reused: challenged again (stale)",
                metadata: ["nc": "\(credentials.nonceCount ?? "none")", "user": "\(user)@\(tenant.domain)"])
            return .challenge(stale: true)
        }
        return .authenticated(stored)
    }

    /// Whether a digest `uri` is this server's own address without a user (`sip:203.0.113.5:5060`):
    /// what SIPp's `[authentication]` signs whatever the Request-URI. Accepted for compatibility; the
    /// nonce count and address binding still make such credentials single-use.
    private func namesThisServer(_ digestURI: String, toward source: SIPEndpoint) -> Bool {
        guard let signed = SIPURI(digestURI), signed.isSIP, signed.user == nil else { return false }
        let local = localAddress(source)
        let host = String(local[..<(local.lastIndex(of: ":") ?? local.endIndex)]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        let port = Int(local[(local.lastIndex(of: ":").map { local.index(after: $0) } ?? local.endIndex)...])
        return signed.host.lowercased() == host.lowercased() && (signed.port == nil || signed.port == port)
    }

    /// The same for a phone behind a proxy (the SIP edge, docs/cluster.md): SIPp signs the address it
    /// sends to, which is then the proxy's, the request's source. Only for proxied requests (a Via
    /// below the proxy's own) from a trusted edge (anyone can add a Via); single-use and bound to the
    /// source address as above.
    private func namesProxy(_ digestURI: String, of request: SIPRequest, source: SIPEndpoint) -> Bool {
        guard request.headers.count(of: .via) > 1 || request.headers.values(.via).count > 1, isTrustedEdge(source),
            let signed = SIPURI(digestURI), signed.isSIP, signed.user == nil,
            let address = try? SocketAddress(ipAddress: signed.host, port: signed.port ?? 5060)
        else { return false }
        return address == source.address
    }

    /// Whether `source` is inside `--sip-trusted-edges` (an edge proxy of docs/cluster.md).
    package func isTrustedEdge(_ source: SIPEndpoint) -> Bool {
        guard !configuration.trustedEdges.isEmpty, let address = IPAddress(source.ip)?.unmapped else { return false }
        return configuration.trustedEdges.contains { $0.matches(address) }
    }

    /// Compared against when the user does not exist, so that path costs the same.
    private static let decoyHA1 = String(repeating: "0", count: 64)

    /// 401 with one challenge per configured algorithm, in order (MD5 first by default).
    private func challenge(_ request: SIPRequest, realm: String, stale: Bool, source: SIPEndpoint, wallClock: UInt64) -> SIPResponse {
        let nonce = nonces.make(now: wallClock, boundTo: source.ip)
        let challenges = configuration.digestAlgorithms.map {
            (SIPHeaderName.wwwAuthenticate, DigestChallenge(realm: realm, nonce: nonce, algorithm: $0, stale: stale).description)
        }
        return reply(request, 401, extra: challenges)
    }

    private func updateBindings(_ request: SIPRequest, tenant: Tenant, number: String, source: SIPEndpoint, wallClock: UInt64) -> SIPResponse {
        let key = TenantName(tenant.uuid, number)
        let isQuery = request.headers.count(of: .contact) == 0
        let (outcome, changed): (Registrar.Outcome, Bool) = stripe(of: tenant.uuid).withLockedValue { state in
            let current = state.aors[key]?.bindings ?? []
            if isQuery {
                return (.ok(bindings: current.filter { $0.expiresAt > wallClock }), false)
            }
            let (outcome, bindings) = registrar.register(
                request, current: current, now: wallClock,
                source: source.hostPort, transport: source.transport.rawValue)
            guard case .ok = outcome else { return (outcome, false) }
            state.aors[key] = AddressOfRecord(tenant: tenant.uuid, number: number, bindings: bindings)
            state.dirty.insert(key)
            return (outcome, true)
        }
        switch outcome {
        case .ok(let bindings):
            if changed, source.transport != .udp, let latest = bindings.filter({ $0.source == source.hostPort }).map(\.expiresAt).max() {
                connections.hold(source.hostPort, until: latest)
            }
            if changed {
                var metadata: Logger.Metadata = ["aor": "\(number)@\(tenant.domain)", "contacts": "\(bindings.count)", "from": "\(source)"]
                if case .success(let path) = Registrar.path(of: request, policy: registrar.policy), !path.isEmpty {
                    metadata["path"] = "\(path.joined(separator: ", "))"
                }
                logger.info("SIP registration", metadata: metadata)
            }
            var response = reply(request, 200)
            // RFC 3327 §5.3: the Path as stored, echoed only to a phone that said it supports Path.
            if !isQuery, Registrar.supportsPath(request), case .success(let path) = Registrar.path(of: request, policy: registrar.policy),
                !path.isEmpty
            {
                response.headers.add(.path, path.joined(separator: ", "))
            }
            for binding in bindings {
                response.headers.add(.contact, binding.contactHeaderValue(at: wallClock))
            }
            response.headers.add(.date, Self.httpDate(wallClock))
            return response
        case .intervalTooBrief(let minimum):
            return reply(request, 423, extra: [(.minExpires, String(minimum))])
        case .badRequest(let reason):
            return reply(request, 400, reason: reason)
        case .outOfOrder:
            return reply(request, 500, reason: "Server Internal Error - out of order REGISTER")
        }
    }

    /// RFC 1123 date for the Date header of a 200 to REGISTER (phones use it to set their clocks).
    static func httpDate(_ seconds: UInt64) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }

    /// The live bindings of an extension (where its phones are), for calls to it.
    package func bindings(tenant: UUID, number: String) -> [RegistrarBinding] {
        let now = SIPClock.wallSeconds()
        return stripe(of: tenant).withLockedValue { ($0.aors[TenantName(tenant, number)]?.bindings ?? []).filter { $0.expiresAt > now } }
    }

    // MARK: - Persistence

    /// A stored `expires_at` in whole seconds; nil when it is no time (NaN, infinite, negative or beyond
    /// UInt64: a row edited by hand), which `UInt64(_:)` would trap on.
    static func storedExpiry(_ seconds: Double) -> UInt64? {
        guard seconds.isFinite, seconds >= 0, seconds < Double(UInt64.max) else { return nil }
        return UInt64(seconds)
    }

    /// A stored registration as a binding; nil when it has expired or its stored text does not parse.
    static func liveBinding(_ record: RegistrationRecord, wallClock: UInt64) -> RegistrarBinding? {
        guard let expiresAt = storedExpiry(record.expiresAt), expiresAt > wallClock,
            let contact = SIPNameAddress(record.contact)
        else { return nil }
        return RegistrarBinding(
            contact: contact, instance: record.instance, callID: record.callID,
            cseq: UInt32(clamping: record.cseq), expiresAt: expiresAt,
            source: record.source, transport: record.transport, userAgent: record.userAgent, path: record.path)
    }

    /// Loads persisted bindings (at start).
    func load(_ records: [RegistrationRecord], wallClock: UInt64) {
        for record in records {
            guard let binding = Self.liveBinding(record, wallClock: wallClock) else { continue }
            let key = TenantName(record.tenant, record.number)
            stripe(of: record.tenant).withLockedValue { state in
                state.aors[key, default: AddressOfRecord(tenant: record.tenant, number: record.number, bindings: [])].bindings.append(binding)
            }
        }
    }

    /// Takes over bindings another node stored (a tenant now homed here after a failover): each live
    /// binding this node does not hold yet (same address-of-record and binding key) is added and its
    /// address-of-record marked changed, so the next persistence writes it as this node's. Returns how
    /// many were added. Requests to them follow their stored Path, as for bindings registered here.
    package func adopt(_ records: [RegistrationRecord], wallClock: UInt64) -> Int {
        var added = 0
        for record in records {
            guard let binding = Self.liveBinding(record, wallClock: wallClock) else { continue }
            let key = TenantName(record.tenant, record.number)
            let taken = stripe(of: record.tenant).withLockedValue { state in
                var aor = state.aors[key] ?? AddressOfRecord(tenant: record.tenant, number: record.number, bindings: [])
                guard !aor.bindings.contains(where: { $0.key == binding.key }) else { return false }
                aor.bindings.append(binding)
                state.aors[key] = aor
                state.dirty.insert(key)
                return true
            }
            if taken { added += 1 }
        }
        return added
    }

    /// Removes lapsed bindings and returns the address-of-records changed since the last call, to persist.
    func takeChanges(wallClock: UInt64) -> [(tenant: UUID, number: String, bindings: [RegistrationRecord])] {
        stripes.flatMap { takeChanges(in: $0, wallClock: wallClock) }
    }

    private func takeChanges(
        in stripe: NIOLockedValueBox<State>, wallClock: UInt64
    ) -> [(tenant: UUID, number: String, bindings: [RegistrationRecord])] {
        stripe.withLockedValue { state in
            for (key, aor) in state.aors where aor.bindings.contains(where: { $0.expiresAt <= wallClock }) {
                state.aors[key]?.bindings.removeAll { $0.expiresAt <= wallClock }
                state.dirty.insert(key)
                logger.info("SIP registration expired", metadata: ["aor": "\(aor.number)"])
            }
            defer { state.dirty.removeAll() }
            return state.dirty.compactMap { key in
                guard let aor = state.aors[key] else { return nil }
                if aor.bindings.isEmpty { state.aors[key] = nil }
                let records = aor.bindings.map { binding in
                    RegistrationRecord(
                        tenant: aor.tenant, number: aor.number, bindingKey: binding.key, contact: binding.contact.description,
                        instance: binding.instance, callID: binding.callID, cseq: Int(binding.cseq),
                        expiresAt: Double(binding.expiresAt), source: binding.source, transport: binding.transport,
                        userAgent: binding.userAgent, path: binding.path)
                }
                return (aor.tenant, aor.number, records)
            }
        }
    }
}
