import NIOCore

/// A SIP response: status line, header fields and body.
public struct SIPResponse: Sendable, Hashable {
    public var statusCode: Int
    public var reasonPhrase: String
    public var headers: SIPHeaders
    public var body: ByteBuffer

    public init(statusCode: Int, reasonPhrase: String? = nil, headers: SIPHeaders = SIPHeaders(), body: ByteBuffer = ByteBuffer()) {
        self.statusCode = statusCode
        self.reasonPhrase = reasonPhrase ?? SIPStatus.reasonPhrase(for: statusCode)
        self.headers = headers
        self.body = body
    }

    /// 1xx.
    public var isProvisional: Bool { statusCode < 200 }
    /// 2xx.
    public var isSuccess: Bool { (200..<300).contains(statusCode) }
}
