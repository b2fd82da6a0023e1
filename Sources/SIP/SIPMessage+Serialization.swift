import NIOCore

extension SIPMessage {
    /// Writes the message in canonical form: `Name: value` lines with canonical header names,
    /// CRLF line ends, and a Content-Length equal to the body size (any stored one is replaced).
    ///
    /// The one place where every line Centralino sends is written: control characters (CR, LF, NUL,
    /// …) in a start line or header value, from an extension name, an AMI CallerID or a peer's
    /// header copied into a reply, become spaces, so no value can end its line and inject a header.
    public func write(into buffer: inout ByteBuffer) {
        switch self {
        case .request(let request):
            buffer.writeString(SIPQuoting.lineSafe("\(request.method) \(request.uri) SIP/2.0"))
            buffer.writeString("\r\n")
            Self.writeHeadersAndBody(request.headers, request.body, into: &buffer)
        case .response(let response):
            buffer.writeString("SIP/2.0 \(response.statusCode) \(SIPQuoting.lineSafe(response.reasonPhrase))\r\n")
            Self.writeHeadersAndBody(response.headers, response.body, into: &buffer)
        }
    }

    /// The serialized message in a new buffer.
    public var serialized: ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(512 + body.readableBytes)
        write(into: &buffer)
        return buffer
    }

    private static func writeHeadersAndBody(_ headers: SIPHeaders, _ body: ByteBuffer, into buffer: inout ByteBuffer) {
        for field in headers where field.name != .contentLength {
            buffer.writeString(field.name.description)
            buffer.writeString(": ")
            buffer.writeString(SIPQuoting.lineSafe(field.value))
            buffer.writeString("\r\n")
        }
        buffer.writeString("Content-Length: \(body.readableBytes)\r\n\r\n")
        buffer.writeImmutableBuffer(body)
    }
}

extension SIPRequest {
    /// The serialized request.
    public var serialized: ByteBuffer { SIPMessage.request(self).serialized }
}

extension SIPResponse {
    /// The serialized response.
    public var serialized: ByteBuffer { SIPMessage.response(self).serialized }
}
