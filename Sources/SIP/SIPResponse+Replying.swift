extension SIPResponse {
    /// A response to `request`: copies every Via (in order), From, To, Call-ID and CSeq
    /// (RFC 3261 §8.2.6.2), and adds `toTag` to To when it has no tag yet and the status is
    /// not 100.
    public init(replyingTo request: SIPRequest, statusCode: Int, reasonPhrase: String? = nil, toTag: String? = nil) {
        self.init(replyingTo: request.headers, statusCode: statusCode, reasonPhrase: reasonPhrase, toTag: toTag)
    }

    /// A response built from a request's header fields, as kept by `SIPParseError.replyHeaders`
    /// for requests too malformed to become a `SIPRequest`. Fields that are missing are left out.
    public init(replyingTo requestHeaders: SIPHeaders, statusCode: Int, reasonPhrase: String? = nil, toTag: String? = nil) {
        var headers = SIPHeaders()
        for field in requestHeaders where field.name == .via {
            headers.add(.via, field.value)
        }
        if let from = requestHeaders[.from] { headers.add(.from, from) }
        if var to = requestHeaders[.to] {
            if statusCode != 100, let toTag, var address = SIPNameAddress(to), address.tag == nil {
                address.tag = toTag
                to = address.description
            }
            headers.add(.to, to)
        }
        if let callID = requestHeaders[.callID] { headers.add(.callID, callID) }
        if let cseq = requestHeaders[.cseq] { headers.add(.cseq, cseq) }
        self.init(statusCode: statusCode, reasonPhrase: reasonPhrase, headers: headers)
    }
}

extension SIPParseError {
    /// The error response for an addressable malformed request (`400 Bad Request - ...`,
    /// `505`, `513`), or nil when no reply can be sent.
    public func response(toTag: String? = nil) -> SIPResponse? {
        guard let replyHeaders else { return nil }
        return SIPResponse(replyingTo: replyHeaders, statusCode: statusCode, reasonPhrase: reasonPhrase, toTag: toTag)
    }
}
