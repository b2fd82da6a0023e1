/// Typed views of the headers every SIP element needs. Each parses on demand and returns nil
/// when the header is absent or malformed; the message parser has already rejected messages
/// whose mandatory headers are malformed.
extension SIPHeaders {
    /// Every Via entry, top first, across all Via fields; nil if any entry is malformed.
    public var vias: [SIPVia]? {
        var result: [SIPVia] = []
        for element in values(.via) {
            var scanner = SIPScanner(element)
            guard let via = SIPVia.parse(&scanner), scanner.isAtEnd else { return nil }
            result.append(via)
        }
        return result
    }

    /// The first (top) Via entry.
    public var topVia: SIPVia? {
        guard let field = self[.via], let first = SIPHeaders.splitList(field[...]).first else { return nil }
        var scanner = SIPScanner(first)
        guard let via = SIPVia.parse(&scanner), scanner.isAtEnd else { return nil }
        return via
    }

    public var from: SIPNameAddress? { self[.from].flatMap(SIPNameAddress.init) }
    public var to: SIPNameAddress? { self[.to].flatMap(SIPNameAddress.init) }
    public var callID: String? { self[.callID] }
    public var cseq: SIPCSeq? { self[.cseq].flatMap(SIPCSeq.init) }

    public var maxForwards: Int? {
        self[.maxForwards].flatMap { SIPSyntax.parseDecimal($0, maximum: UInt64(SIPLimits.maximumMaxForwards)) }
            .map(Int.init)
    }

    public var contentLength: Int? {
        self[.contentLength].flatMap { SIPSyntax.parseDecimal($0, maximum: UInt64(SIPLimits.maximumMessageSize)) }
            .map(Int.init)
    }

    /// The Expires header in seconds.
    public var expires: UInt32? {
        self[.expires].flatMap { SIPSyntax.parseDecimal($0, maximum: SIPLimits.maximumDeltaSeconds) }
            .map { UInt32($0) }
    }

    /// Whether the request carries `Contact: *` (remove all bindings, RFC 3261 §10.2.2).
    public var isContactWildcard: Bool {
        let contacts = values(.contact)
        return contacts.count == 1 && contacts[0] == "*"
    }

    /// Every Contact address, in order; nil if one is malformed. Empty for `Contact: *`.
    public var contacts: [SIPNameAddress]? {
        if isContactWildcard { return [] }
        return Self.addresses(values(.contact))
    }

    /// Route entries, top first.
    public var routes: [SIPNameAddress]? { Self.addresses(values(.route)) }

    /// Record-Route entries, top first.
    public var recordRoutes: [SIPNameAddress]? { Self.addresses(values(.recordRoute)) }

    static func addresses(_ elements: [Substring]) -> [SIPNameAddress]? {
        var result: [SIPNameAddress] = []
        for element in elements {
            var scanner = SIPScanner(element)
            guard let address = SIPNameAddress.parse(&scanner), scanner.isAtEnd else { return nil }
            result.append(address)
        }
        return result
    }
}

extension SIPNameAddress {
    /// The Contact `expires` parameter in seconds; values above 2**32 − 1 are clamped
    /// (RFC 3261 §10.3 step 7 lets a registrar pick its own upper bound).
    public var expires: UInt32? {
        guard let text = parameters["expires"], !text.isEmpty,
            text.utf8.allSatisfy(SIPSyntax.isDigit)
        else { return nil }
        // Clamped, never converted blindly: 2**32 and above trapped in `UInt32(_:)`.
        return UInt32(clamping: SIPSyntax.parseDecimal(text, maximum: .max) ?? SIPLimits.maximumDeltaSeconds)
    }

    /// The Contact `q` preference, 0.0–1.0.
    public var q: Double? {
        guard let text = parameters["q"], let value = Double(text), (0...1).contains(value) else { return nil }
        return value
    }

    /// The `+sip.instance` value (RFC 5626), e.g. `<urn:uuid:...>`, quotes removed.
    public var instanceID: String? { parameters["+sip.instance"] }
}
