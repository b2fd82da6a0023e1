/// Identifies the transaction a message belongs to (RFC 3261 §17.1.3, §17.2.3).
///
/// With an RFC 3261 branch (`z9hG4bK` + id) the key is the branch, the sent-by of the top Via
/// (server side) and the method, where ACK counts as INVITE so that the ACK for a non-2xx
/// finds its INVITE transaction. Without one (RFC 2543 peers, RFC 4475 `inv2543`,
/// `badbranch`) the key is built from Request-URI, From tag, Call-ID, CSeq number, top Via
/// and method, as §17.2.3 describes. The To tag is left out so that the ACK (whose To carries
/// our tag) matches the INVITE; the rare RFC 2543 case of two INVITEs differing only by To tag
/// is not told apart.
public enum SIPTransactionKey: Sendable, Hashable {
    case branch(String, sentBy: String, method: String)
    case rfc2543(requestURI: String, fromTag: String, callID: String, cseq: UInt32, topVia: String, method: String)

    /// The server transaction key of a received request; nil when it lacks a top Via or CSeq.
    public init?(serverRequest request: SIPRequest) {
        guard let via = request.headers.topVia else { return nil }
        let method = Self.matchingMethod(request.method)
        if via.hasRFC3261Branch, let branch = via.branch {
            self = .branch(branch, sentBy: via.sentBy.lowercased(), method: method)
            return
        }
        guard let cseq = request.headers.cseq, let callID = request.headers.callID else { return nil }
        self = .rfc2543(
            requestURI: request.uri.description, fromTag: request.headers.from?.tag ?? "",
            callID: callID, cseq: cseq.number, topVia: via.description, method: method)
    }

    /// The client transaction key of a received response: top Via branch and CSeq method.
    public init?(clientResponse response: SIPResponse) {
        guard let branch = response.headers.topVia?.branch, let cseq = response.headers.cseq else { return nil }
        self = .branch(branch, sentBy: "", method: Self.matchingMethod(cseq.method))
    }

    /// The client transaction key of a request we send (same form as `init(clientResponse:)`).
    public init?(clientRequest request: SIPRequest) {
        guard let branch = request.headers.topVia?.branch else { return nil }
        self = .branch(branch, sentBy: "", method: Self.matchingMethod(request.method))
    }

    /// For a CANCEL's key: the key of the INVITE transaction it cancels (§9.2).
    public var cancelledInviteKey: SIPTransactionKey {
        switch self {
        case .branch(let branch, let sentBy, _):
            return .branch(branch, sentBy: sentBy, method: SIPMethod.invite.rawValue)
        case .rfc2543(let uri, let fromTag, let callID, let cseq, let topVia, _):
            return .rfc2543(
                requestURI: uri, fromTag: fromTag, callID: callID, cseq: cseq, topVia: topVia,
                method: SIPMethod.invite.rawValue)
        }
    }

    private static func matchingMethod(_ method: SIPMethod) -> String {
        method == .ack ? SIPMethod.invite.rawValue : method.rawValue
    }
}
