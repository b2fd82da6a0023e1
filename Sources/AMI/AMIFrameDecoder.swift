import NIOCore

/// Splits the AMI byte stream into messages, line by line, enforcing Asterisk's limits.
///
/// Complete lines are consumed as soon as they arrive and kept in the decoder until the blank
/// line that ends the message, so a message trickling in byte by byte is never re-scanned.
/// Lines end in CRLF or a bare LF. A line longer than `AMILimits.maximumLineLength` is discarded
/// and marks the message `.lineTooLong`; lines past `AMILimits.maximumHeaderCount` are dropped and
/// mark it `.tooManyLines`. Such a message is still delivered (with its ActionID) so the session
/// can send Asterisk's error reply and live on. A message with no lines at all is ignored.
public struct AMIFrameDecoder: NIOSingleStepByteToMessageDecoder {
    public typealias InboundOut = AMIInbound

    private var headers: [AMIMessage.Header] = []
    private var lineCount = 0
    private var problem: AMIInbound.Problem?
    /// True while the rest of an over-long line is being skipped up to its newline.
    private var discardingLine = false

    public init() {}

    public mutating func decode(buffer: inout ByteBuffer) throws -> AMIInbound? {
        while true {
            if discardingLine {
                guard let newline = buffer.firstNewlineOffset() else {
                    buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
                    return nil
                }
                buffer.moveReaderIndex(forwardBy: newline + 1)
                discardingLine = false
                continue
            }
            guard let newline = buffer.firstNewlineOffset() else {
                if buffer.readableBytes >= AMILimits.maximumLineLength {
                    markLineTooLong()
                    buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
                    discardingLine = true
                }
                return nil
            }
            if newline + 1 > AMILimits.maximumLineLength {
                markLineTooLong()
                buffer.moveReaderIndex(forwardBy: newline + 1)
                continue
            }
            var contentLength = newline
            if contentLength > 0, buffer.getInteger(at: buffer.readerIndex + contentLength - 1, as: UInt8.self) == UInt8(ascii: "\r") {
                contentLength -= 1
            }
            if contentLength == 0 {
                buffer.moveReaderIndex(forwardBy: newline + 1)
                if let message = finishMessage() { return message }
                continue
            }
            lineCount += 1
            if lineCount > AMILimits.maximumHeaderCount {
                problem = problem ?? .tooManyLines
            } else if let header = buffer.withUnsafeReadableBytes({ Self.parseHeader(UnsafeRawBufferPointer(rebasing: $0[..<contentLength])) }) {
                headers.append(header)
            }
            buffer.moveReaderIndex(forwardBy: newline + 1)
        }
    }

    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> AMIInbound? {
        // An unterminated message at EOF is never run, as in Asterisk.
        let message = try decode(buffer: &buffer)
        if message == nil { buffer.moveReaderIndex(forwardBy: buffer.readableBytes) }
        return message
    }

    private mutating func markLineTooLong() {
        lineCount += 1
        problem = .lineTooLong
    }

    private mutating func finishMessage() -> AMIInbound? {
        defer {
            headers.removeAll(keepingCapacity: true)
            lineCount = 0
            problem = nil
        }
        if lineCount == 0 { return nil }
        return AMIInbound(message: AMIMessage(headers: headers), problem: problem)
    }

    /// `Key: Value` → header. The key must be followed immediately by `:`; leading bytes below
    /// 0x21 of the value are skipped and trailing whitespace is kept (`__astman_get_header`).
    /// A line with no colon yields nil and is ignored.
    static func parseHeader(_ line: UnsafeRawBufferPointer) -> AMIMessage.Header? {
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return nil }
        var valueStart = colon + 1
        while valueStart < line.count, line[valueStart] < 0x21 { valueStart += 1 }
        let name = String(decoding: UnsafeRawBufferPointer(rebasing: line[..<colon]), as: UTF8.self)
        let value = String(decoding: UnsafeRawBufferPointer(rebasing: line[valueStart...]), as: UTF8.self)
        return AMIMessage.Header(name: name, value: value)
    }
}

extension ByteBuffer {
    /// Offset of the first LF from the reader index, or nil.
    fileprivate func firstNewlineOffset() -> Int? {
        withUnsafeReadableBytes { $0.firstIndex(of: UInt8(ascii: "\n")) }
    }
}
