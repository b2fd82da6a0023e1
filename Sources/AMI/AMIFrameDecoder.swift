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
        // One pass over the readable bytes, and one reader-index move, per call (not per line).
        let (consumed, message) = buffer.withUnsafeReadableBytes { decode($0) }
        buffer.moveReaderIndex(forwardBy: consumed)
        return message
    }

    /// Decodes from `bytes`; returns how many bytes were consumed and the message, if one was completed.
    private mutating func decode(_ bytes: UnsafeRawBufferPointer) -> (Int, AMIInbound?) {
        var start = 0
        while true {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[start...])
            if discardingLine {
                guard let newline = rest.firstIndex(of: UInt8(ascii: "\n")) else { return (bytes.count, nil) }
                start += newline + 1
                discardingLine = false
                continue
            }
            guard let newline = rest.firstIndex(of: UInt8(ascii: "\n")) else {
                if rest.count >= AMILimits.maximumLineLength {
                    markLineTooLong()
                    discardingLine = true
                    return (bytes.count, nil)
                }
                return (start, nil)
            }
            start += newline + 1
            if newline + 1 > AMILimits.maximumLineLength {
                markLineTooLong()
                continue
            }
            var contentLength = newline
            if contentLength > 0, rest[contentLength - 1] == UInt8(ascii: "\r") {
                contentLength -= 1
            }
            if contentLength == 0 {
                if let message = finishMessage() { return (start, message) }
                continue
            }
            lineCount += 1
            if lineCount > AMILimits.maximumHeaderCount {
                problem = problem ?? .tooManyLines
            } else if let header = Self.parseHeader(UnsafeRawBufferPointer(rebasing: rest[..<contentLength])) {
                headers.append(header)
            }
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
        let nameBytes = UnsafeRawBufferPointer(rebasing: line[..<colon])
        let valueBytes = UnsafeRawBufferPointer(rebasing: line[valueStart...])
        // The names and the action every Ping carries come from literals, without decoding.
        if Self.equals(nameBytes, "ActionID") {
            return AMIMessage.Header(name: "ActionID", value: String(decoding: valueBytes, as: UTF8.self))
        }
        if Self.equals(nameBytes, "Action") {
            let value = Self.equals(valueBytes, "Ping") ? "Ping" : String(decoding: valueBytes, as: UTF8.self)
            return AMIMessage.Header(name: "Action", value: value)
        }
        return AMIMessage.Header(
            name: String(decoding: nameBytes, as: UTF8.self), value: String(decoding: valueBytes, as: UTF8.self))
    }

    private static func equals(_ bytes: UnsafeRawBufferPointer, _ literal: StaticString) -> Bool {
        bytes.count == literal.utf8CodeUnitCount
            && bytes.elementsEqual(UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }
}
