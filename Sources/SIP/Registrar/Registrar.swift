/// The binding rules of a registrar (RFC 3261 §10.3, steps 6–8), as pure code: given the current
/// bindings of an address-of-record and an authenticated REGISTER, decide the new bindings and the reply.
public struct Registrar: Sendable {
    public struct Policy: Sendable {
        /// Shorter non-zero expirations get `423 Interval Too Brief` (Asterisk's `minexpiry` default).
        public var minimumExpires: UInt32 = 60
        /// Longer expirations are shortened to this (Asterisk's `maxexpiry` default).
        public var maximumExpires: UInt32 = 3600
        /// Used when neither the contact nor the request says (Asterisk's `defaultexpiry`).
        public var defaultExpires: UInt32 = 3600
        /// Contacts kept per address-of-record; the oldest are dropped beyond it.
        public var maximumContacts = 10
        /// `Path` entries kept per REGISTER (RFC 3327); more get `400` (one or two edge proxies is the norm).
        public var maximumPathEntries = 4
        /// Bytes of all `Path` entries together; more get `400`.
        public var maximumPathBytes = 1024

        public init() {}
    }

    /// What the registrar decided.
    public enum Outcome: Sendable, Equatable {
        /// 200 OK listing `bindings` (the full current set).
        case ok(bindings: [RegistrarBinding])
        /// 423 with `Min-Expires`.
        case intervalTooBrief(minimum: UInt32)
        /// 400 with this reason phrase.
        case badRequest(String)
        /// 500: an older request for a binding already updated by a newer one (RFC 3261 §10.3 step 7).
        case outOfOrder
    }

    public let policy: Policy

    public init(policy: Policy = Policy()) {
        self.policy = policy
    }

    /// Applies `request` (already authenticated) to `current` at time `now`.
    /// Returns the outcome and the bindings to keep (unchanged unless the outcome is `.ok`).
    public func register(
        _ request: SIPRequest, current: [RegistrarBinding], now: UInt64,
        source: String, transport: String
    ) -> (Outcome, [RegistrarBinding]) {
        let headers = request.headers
        let live = current.filter { $0.expiresAt > now }
        guard let callID = headers.callID, let cseq = headers.cseq?.number else {
            return (.badRequest("Bad Request - missing Call-ID or CSeq"), live)
        }
        // What a binding keeps is stored (registration table): no NUL or other control character,
        // which PostgreSQL refuses (NUL) and no log or header line should carry.
        if let name = Self.storedHeaders.first(where: { headers.all($0).contains(where: SIPQuoting.hasControl) }) {
            return (.badRequest("Bad Request - control character in \(name)"), live)
        }
        let path: [String]
        switch Self.path(of: request, policy: policy) {
        case .failure(let error): return (.badRequest(error.reason), live)
        case .success(let entries): path = entries
        }
        let requestExpires = headers.expires
        if headers.isContactWildcard {
            guard requestExpires == 0, headers.count(of: .contact) == 1 else {
                return (.badRequest("Bad Request - Contact * needs Expires: 0 and no other contact"), live)
            }
            if live.contains(where: { $0.callID == callID && $0.cseq >= cseq }) { return (.outOfOrder, live) }
            return (.ok(bindings: []), [])
        }
        guard let contacts = headers.contacts else {
            return (.badRequest("Bad Request - malformed Contact"), live)
        }
        // Step 6 first, for every contact: one interval too brief refuses the whole request.
        var updates: [(SIPNameAddress, UInt32)] = []
        for contact in contacts {
            let expires = contact.expires ?? requestExpires ?? policy.defaultExpires
            if expires != 0, expires < policy.minimumExpires { return (.intervalTooBrief(minimum: policy.minimumExpires), live) }
            updates.append((contact, min(expires, policy.maximumExpires)))
        }
        var bindings = live
        for (contact, expires) in updates {
            var stripped = contact
            stripped.parameters["expires"] = nil
            let candidate = RegistrarBinding(
                contact: stripped, instance: contact.instanceID, callID: callID, cseq: cseq,
                expiresAt: now + UInt64(expires), source: source, transport: transport,
                userAgent: headers[.userAgent], path: path)
            if let index = bindings.firstIndex(where: { $0.key == candidate.key }) {
                let existing = bindings[index]
                if existing.callID == callID, existing.cseq > cseq { return (.outOfOrder, live) }
                if expires == 0 { bindings.remove(at: index) } else { bindings[index] = candidate }
            } else if expires != 0 {
                bindings.append(candidate)
            }
        }
        if bindings.count > policy.maximumContacts {
            bindings.sort { $0.expiresAt > $1.expiresAt }
            bindings = Array(bindings.prefix(policy.maximumContacts))
        }
        return (.ok(bindings: bindings), bindings)
    }

    /// The headers a binding stores the text of; a control character (but HTAB) in any gets `400`.
    static let storedHeaders: [SIPHeaderName] = [.callID, .contact, .userAgent, .path]

    /// The request's `Path` entries (RFC 3327 §5.3), top first, normalised to name-addr form; a
    /// malformed entry, one that is not a SIP URI, or more than the policy's count or bytes is refused.
    /// Stored whether or not the phone sent `Supported: path` (RFC 3327 leaves refusing with 420 to
    /// registrars that require Path; this one only uses it).
    public static func path(of request: SIPRequest, policy: Policy) -> Result<[String], PathError> {
        let values = request.headers.values(.path)
        guard !values.isEmpty else { return .success([]) }
        guard values.count <= policy.maximumPathEntries else {
            return .failure(PathError("Bad Request - more than \(policy.maximumPathEntries) Path entries"))
        }
        guard values.reduce(0, { $0 + $1.utf8.count }) <= policy.maximumPathBytes else {
            return .failure(PathError("Bad Request - Path longer than \(policy.maximumPathBytes) bytes"))
        }
        guard let addresses = SIPHeaders.addresses(values), addresses.allSatisfy({ $0.uri.isSIP }) else {
            return .failure(PathError("Bad Request - malformed Path"))
        }
        return .success(addresses.map { "<\($0.uri)>" })
    }

    /// Why a `Path` was refused: the 400's reason phrase.
    public struct PathError: Error, Equatable {
        public let reason: String
        public init(_ reason: String) { self.reason = reason }
    }

    /// Whether the request says the phone supports Path (`Supported: path`): only then does the
    /// 200 echo the stored Path (RFC 3327 §5.3).
    public static func supportsPath(_ request: SIPRequest) -> Bool {
        request.headers.values(.supported).contains { $0.lowercased() == "path" }
    }
}

extension SIPHeaderName {
    /// RFC 3327's `Path`.
    public static let path = SIPHeaderName("Path")
}
