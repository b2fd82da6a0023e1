extension SIPRequest {
    /// The ACK for a 3xx–6xx response to `invite` (RFC 3261 §17.1.1.3): same Request-URI,
    /// Call-ID, From and CSeq number, To from the response (with its tag), only the INVITE's top
    /// Via (same branch), and the INVITE's Route headers.
    public static func ack(for invite: SIPRequest, response: SIPResponse) -> SIPRequest {
        var headers = SIPHeaders()
        if let topVia = invite.headers.topVia { headers.add(.via, topVia.description) }
        headers.add(.maxForwards, "70")
        if let from = invite.headers[.from] { headers.add(.from, from) }
        if let to = response.headers[.to] ?? invite.headers[.to] { headers.add(.to, to) }
        if let callID = invite.headers[.callID] { headers.add(.callID, callID) }
        let number = invite.headers.cseq?.number ?? 1
        headers.add(.cseq, SIPCSeq(number: number, method: .ack).description)
        for route in invite.headers.all(.route) { headers.add(.route, route) }
        return SIPRequest(method: .ack, uri: invite.uri, headers: headers)
    }
}
