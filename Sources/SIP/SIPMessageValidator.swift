/// The checks a message must pass before it reaches a transaction (RFC 3261 §8.2, §18.1.2,
/// and the syntax cases of RFC 4475).
enum SIPMessageValidator {
    /// Headers that may appear only once (RFC 4475 `multi01`).
    static let singleValued: [SIPHeaderName] = [.callID, .cseq, .from, .to, .maxForwards, .contentType]

    /// Via, From, To, Call-ID and CSeq: present, single where required, well-formed.
    @discardableResult
    static func validateCommonHeaders(_ headers: SIPHeaders) throws(SIPParseError) -> SIPCSeq {
        var seen = [Bool](repeating: false, count: singleValued.count)
        for field in headers {
            guard let index = singleValued.firstIndex(of: field.name) else { continue }
            guard !seen[index] else { throw SIPParseError.duplicate(field.name) }
            seen[index] = true
        }
        guard headers[.via] != nil else { throw SIPParseError.missing(.via) }
        guard headers.vias != nil else { throw SIPParseError.invalid(.via) }
        guard let from = headers[.from] else { throw SIPParseError.missing(.from) }
        guard SIPNameAddress(from) != nil else { throw SIPParseError.invalid(.from) }
        guard let to = headers[.to] else { throw SIPParseError.missing(.to) }
        guard SIPNameAddress(to) != nil else { throw SIPParseError.invalid(.to) }
        guard let callID = headers[.callID] else { throw SIPParseError.missing(.callID) }
        guard !callID.isEmpty, !callID.utf8.contains(where: SIPSyntax.isWhitespace) else {
            throw SIPParseError.invalid(.callID)
        }
        guard let cseqText = headers[.cseq] else { throw SIPParseError.missing(.cseq) }
        guard let cseq = SIPCSeq(cseqText) else { throw SIPParseError.invalid(.cseq) }
        return cseq
    }

    static func validateRequest(method: SIPMethod, uri: SIPURI, headers: SIPHeaders) throws(SIPParseError) {
        let cseq = try validateCommonHeaders(headers)
        guard cseq.method == method else {
            throw SIPParseError(.cseqMethodMismatch, header: .cseq, detail: "CSeq method does not match request")
        }
        if let maxForwards = headers[.maxForwards], headers.maxForwards == nil || maxForwards.isEmpty {
            throw SIPParseError.invalid(.maxForwards)
        }
        if headers[.expires] != nil, headers.expires == nil {
            throw SIPParseError.invalid(.expires)
        }
        if headers[.contact] != nil, headers.contacts == nil {
            throw SIPParseError.invalid(.contact)
        }
        if let date = headers[.date], !date.hasSuffix(" GMT") {
            // SIP dates are always GMT (RFC 3261 §20.17; RFC 4475 `baddate`).
            throw SIPParseError.invalid(.date)
        }
    }
}
