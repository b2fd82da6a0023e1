import NIOCore

/// Parses whole SIP messages: one UDP datagram at a time, or (through `SIPStreamDecoder`) one
/// Content-Length-framed message of a TCP stream.
///
/// Requests must carry a parseable Via, From, To, Call-ID and CSeq whose method matches the
/// request line; single-valued headers may appear once; numbers stay within `SIPLimits`.
/// Max-Forwards may be absent (RFC 2543 peers, RFC 4475 `inv2543`). Everything else is left
/// to the transaction user (unknown schemes → 416, `Require` → 420, and so on).
public struct SIPMessageParser: Sendable {
    public init() {}

    /// Parses one datagram, consuming all of it. Returns nil for a keep-alive (only CR/LF).
    /// When Content-Length is shorter than the rest, the surplus is ignored (RFC 3261 §18.3,
    /// RFC 4475 `dblreq`); when longer, the message is rejected (`clerr`); when absent, the
    /// body runs to the end of the datagram.
    public func parseDatagram(_ buffer: inout ByteBuffer) throws(SIPParseError) -> SIPMessage? {
        defer { buffer.moveReaderIndex(to: buffer.writerIndex) }
        while let byte = buffer.readableBytesView.first, byte == SIPSyntax.cr || byte == SIPSyntax.lf {
            buffer.moveReaderIndex(forwardBy: 1)
        }
        guard buffer.readableBytes > 0 else { return nil }
        guard buffer.readableBytes <= SIPLimits.maximumMessageSize else {
            throw SIPParseError(.messageTooLarge, statusCode: 513, detail: "message too large")
        }
        let (head, bodyStart) = buffer.withUnsafeReadableBytes { bytes -> (SIPHead, Int?) in
            if let end = SIPHead.findEnd(bytes) {
                return (SIPHead.parse(UnsafeRawBufferPointer(rebasing: bytes[..<end.headLength])), end.bodyStart)
            }
            return (SIPHead.parse(bytes), nil)
        }
        // A datagram that ends right after a header line lacks only the blank line: accept it
        // with an empty body (RFC 4475 `baddn` is shipped that way).
        let endsWithLineBreak = buffer.readableBytesView.last == SIPSyntax.lf
        guard let bodyStart = bodyStart ?? (endsWithLineBreak ? buffer.readableBytes : nil) else {
            throw Self.addressing(SIPParseError(.missingBlankLine, detail: "no blank line after headers"), head)
        }
        let available = buffer.readableBytes - bodyStart
        let length = try Self.contentLength(of: head, default: available)
        guard length <= available else {
            throw Self.addressing(
                SIPParseError(
                    .bodyShorterThanContentLength, header: .contentLength,
                    detail: "Content-Length larger than message"), head)
        }
        let body = buffer.getSlice(at: buffer.readerIndex + bodyStart, length: length) ?? ByteBuffer()
        return try Self.message(from: head, body: body)
    }

    /// The Content-Length of a head: `fallback` when absent; an error when repeated
    /// (RFC 4475 `mcl01`), negative (`ncl`) or not a number.
    static func contentLength(of head: SIPHead, default fallback: Int) throws(SIPParseError) -> Int {
        let values = head.headers.all(.contentLength)
        guard let text = values.first else { return fallback }
        guard values.count == 1 else { throw addressing(.duplicate(.contentLength), head) }
        guard let length = SIPSyntax.parseDecimal(text, maximum: UInt64(SIPLimits.maximumMessageSize)) else {
            throw addressing(
                SIPParseError(
                    .invalidContentLength, header: .contentLength,
                    detail: "invalid Content-Length"), head)
        }
        return Int(length)
    }

    /// Validates a split head and builds the message.
    static func message(from head: SIPHead, body: ByteBuffer) throws(SIPParseError) -> SIPMessage {
        do throws(SIPParseError) {
            if let problem = head.problem { throw problem }
            let startLine = try SIPStartLine(head.startLine)
            switch startLine {
            case .request(let method, let uri):
                try SIPMessageValidator.validateRequest(method: method, uri: uri, headers: head.headers)
                return .request(SIPRequest(method: method, uri: uri, headers: head.headers, body: body))
            case .response(let code, let reason):
                try SIPMessageValidator.validateCommonHeaders(head.headers)
                return .response(SIPResponse(statusCode: code, reasonPhrase: reason, headers: head.headers, body: body))
            }
        } catch {
            throw addressing(error, head)
        }
    }

    /// Marks the error as a response's, or attaches the headers a 400 needs when the message
    /// looks like a request and its top Via parses.
    static func addressing(_ error: SIPParseError, _ head: SIPHead) -> SIPParseError {
        var error = error
        if SIPStartLine.looksLikeResponse(head.startLine) {
            error.isResponse = true
        } else if SIPStartLine.looksLikeRequest(head.startLine), head.headers.topVia != nil {
            error.replyHeaders = head.headers
        }
        return error
    }
}
