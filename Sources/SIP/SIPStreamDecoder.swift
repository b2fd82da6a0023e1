import NIOCore

/// Frames SIP messages on a stream transport (TCP, TLS) by Content-Length (RFC 3261 §18.3).
///
/// CR/LF bytes between messages are skipped, except an RFC 5626 §4.4.1 keep-alive "ping" (CRLFCRLF),
/// which is delivered as `.keepAlive` so the transport can answer its "pong" (CRLF). Once the blank line after the
/// headers arrives, the head is split once and kept while the body trickles in, so a message
/// fed one byte at a time is not re-parsed. A missing Content-Length means an empty body.
///
/// A message that is framed correctly but otherwise malformed is delivered as `.malformed`
/// and the stream carries on. When framing itself is impossible (a head larger than
/// `SIPLimits.maximumMessageSize`, an unreadable or repeated Content-Length) `decode` throws a
/// `SIPParseError`: the connection must be closed, after sending the 400 if it is addressable.
public struct SIPStreamDecoder: NIOSingleStepByteToMessageDecoder {
    /// What the decoder produces.
    public enum Inbound: Sendable, Hashable {
        case message(SIPMessage)
        case malformed(SIPParseError)
        /// A CRLFCRLF ping between messages (RFC 5626 §4.4.1): answer with CRLF.
        case keepAlive
    }

    /// The RFC 5626 keep-alive ping.
    static let ping: [UInt8] = [SIPSyntax.cr, SIPSyntax.lf, SIPSyntax.cr, SIPSyntax.lf]

    public typealias InboundOut = Inbound

    /// The head of the message being received, its length including the blank line, and the
    /// body length it announced.
    private var pending: (head: SIPHead, bodyStart: Int, bodyLength: Int)?

    public init() {}

    public mutating func decode(buffer: inout ByteBuffer) throws -> Inbound? {
        if pending == nil {
            while let byte = buffer.readableBytesView.first, byte == SIPSyntax.cr || byte == SIPSyntax.lf {
                let view = buffer.readableBytesView
                if view.starts(with: Self.ping) {
                    buffer.moveReaderIndex(forwardBy: Self.ping.count)
                    return .keepAlive
                }
                // The start of a ping split across reads: wait for the rest.
                if Self.ping.starts(with: view) { return nil }
                buffer.moveReaderIndex(forwardBy: 1)
            }
            guard buffer.readableBytes > 0 else { return nil }
            guard let framed = try Self.frameHead(buffer) else { return nil }
            pending = framed
        }
        guard let (head, bodyStart, bodyLength) = pending,
            buffer.readableBytes >= bodyStart + bodyLength
        else { return nil }
        pending = nil
        let body = buffer.getSlice(at: buffer.readerIndex + bodyStart, length: bodyLength) ?? ByteBuffer()
        buffer.moveReaderIndex(forwardBy: bodyStart + bodyLength)
        do {
            return .message(try SIPMessageParser.message(from: head, body: body))
        } catch {
            return .malformed(error)
        }
    }

    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> Inbound? {
        if let message = try decode(buffer: &buffer) { return message }
        // An unfinished message at EOF can never complete.
        buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
        pending = nil
        return nil
    }

    /// Splits the head once its blank line is in the buffer; nil until then.
    private static func frameHead(_ buffer: ByteBuffer) throws(SIPParseError) -> (SIPHead, Int, Int)? {
        let found = buffer.withUnsafeReadableBytes { bytes -> (SIPHead, Int)? in
            guard let end = SIPHead.findEnd(bytes) else { return nil }
            return (SIPHead.parse(UnsafeRawBufferPointer(rebasing: bytes[..<end.headLength])), end.bodyStart)
        }
        guard let (head, bodyStart) = found else {
            guard buffer.readableBytes <= SIPLimits.maximumMessageSize else {
                throw SIPParseError(.messageTooLarge, statusCode: 513, detail: "message too large")
            }
            return nil
        }
        let bodyLength = try SIPMessageParser.contentLength(of: head, default: 0)
        guard bodyStart + bodyLength <= SIPLimits.maximumMessageSize else {
            throw SIPMessageParser.addressing(
                SIPParseError(.messageTooLarge, statusCode: 513, detail: "message too large"), head)
        }
        return (head, bodyStart, bodyLength)
    }
}
