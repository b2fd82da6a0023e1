/// Why a message was rejected, with the reply a server should send when it can send one.
///
/// A malformed request gets `statusCode` with `reasonPhrase` (e.g. `400 Bad Request - missing
/// Call-ID`) when `isAddressable`: the request line was recognisable and its top Via parsed,
/// so the response can be routed back (RFC 3261 §18.2.2). `replyHeaders` then holds the
/// request's fields, from which `SIPResponse(replyingTo:...)` copies Via, From, To, Call-ID and
/// CSeq as present. A malformed response is simply dropped (RFC 3261 §18.1.2).
public struct SIPParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of problem, for logs and tests.
    public enum Code: String, Sendable, Hashable {
        case malformedStartLine
        case unsupportedVersion
        case malformedHeaderLine
        case tooManyHeaders
        case headerTooLong
        case missingHeader
        case duplicateHeader
        case invalidHeader
        case cseqMethodMismatch
        case invalidRequestURI
        case invalidContentLength
        case bodyShorterThanContentLength
        case messageTooLarge
        case missingBlankLine
    }

    public var code: Code
    /// The status a server replies with: 400, 505 or 513.
    public var statusCode: Int
    /// A reason phrase naming the problem, suitable for the status line.
    public var reasonPhrase: String
    /// The header concerned, if any.
    public var header: SIPHeaderName?
    /// Whether the bad message was a response (to be dropped, never answered).
    public var isResponse: Bool
    /// The request's header fields when a reply can be addressed; nil otherwise.
    public var replyHeaders: SIPHeaders?

    public init(_ code: Code, header: SIPHeaderName? = nil, statusCode: Int = 400, detail: String) {
        self.code = code
        self.statusCode = statusCode
        self.reasonPhrase = "\(SIPStatus.reasonPhrase(for: statusCode)) - \(detail)"
        self.header = header
        self.isResponse = false
        self.replyHeaders = nil
    }

    public var isAddressable: Bool { replyHeaders != nil }

    public var description: String { "\(statusCode) \(reasonPhrase)" }

    static func missing(_ name: SIPHeaderName) -> SIPParseError {
        SIPParseError(.missingHeader, header: name, detail: "missing \(name)")
    }

    static func duplicate(_ name: SIPHeaderName) -> SIPParseError {
        SIPParseError(.duplicateHeader, header: name, detail: "multiple \(name) headers")
    }

    static func invalid(_ name: SIPHeaderName) -> SIPParseError {
        SIPParseError(.invalidHeader, header: name, detail: "malformed \(name)")
    }
}
