import NIOCore

/// A SIP request: request line, header fields and body.
public struct SIPRequest: Sendable, Hashable {
    public var method: SIPMethod
    public var uri: SIPURI
    public var headers: SIPHeaders
    /// The body, exactly Content-Length bytes; empty when there is none.
    public var body: ByteBuffer

    public init(method: SIPMethod, uri: SIPURI, headers: SIPHeaders = SIPHeaders(), body: ByteBuffer = ByteBuffer()) {
        self.method = method
        self.uri = uri
        self.headers = headers
        self.body = body
    }
}
