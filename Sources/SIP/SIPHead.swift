/// The start line and header fields of a message, before validation.
struct SIPHead {
    var startLine: String
    var headers: SIPHeaders
    /// The first problem met while splitting lines (bad header line, too many, too long);
    /// parsing carries on so that a 400 can still copy the headers that were fine.
    var problem: SIPParseError?

    /// Splits `bytes` (the head without its terminating blank line) into lines ending in CRLF
    /// or bare LF, unfolds continuation lines (leading SP/HTAB) with a single space, and
    /// expands header names. Never fails; see `problem`.
    static func parse(_ bytes: UnsafeRawBufferPointer) -> SIPHead {
        var head = SIPHead(startLine: "", headers: SIPHeaders(), problem: nil)
        var position = 0
        var isFirstLine = true
        var pending: (name: SIPHeaderName, value: String)?

        while position < bytes.count {
            var end = position
            while end < bytes.count, bytes[end] != SIPSyntax.lf { end += 1 }
            let next = end + 1
            var lineEnd = end
            if lineEnd > position, bytes[lineEnd - 1] == SIPSyntax.cr { lineEnd -= 1 }
            let line = UnsafeRawBufferPointer(rebasing: bytes[position..<lineEnd])
            position = next

            if isFirstLine {
                head.startLine = String(decoding: line, as: UTF8.self)
                isFirstLine = false
                continue
            }
            if let first = line.first, SIPSyntax.isWhitespace(first) {
                guard pending != nil else {
                    head.record(SIPParseError(.malformedHeaderLine, detail: "continuation line without header"))
                    continue
                }
                let continuation = trimmed(line)
                if !continuation.isEmpty {
                    pending!.value += " " + String(decoding: continuation, as: UTF8.self)
                }
                continue
            }
            if let field = pending { head.append(field) }
            pending = nil
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
                head.record(SIPParseError(.malformedHeaderLine, detail: "header line without colon"))
                continue
            }
            var nameEnd = colon
            while nameEnd > 0, SIPSyntax.isWhitespace(line[nameEnd - 1]) { nameEnd -= 1 }
            let nameBytes = UnsafeRawBufferPointer(rebasing: line[0..<nameEnd])
            guard !nameBytes.isEmpty, nameBytes.allSatisfy(SIPSyntax.isToken) else {
                head.record(SIPParseError(.malformedHeaderLine, detail: "malformed header name"))
                continue
            }
            let name = SIPHeaderName(String(decoding: nameBytes, as: UTF8.self))
            let value = trimmed(UnsafeRawBufferPointer(rebasing: line[(colon + 1)...]))
            pending = (name, String(decoding: value, as: UTF8.self))
        }
        if let field = pending { head.append(field) }
        return head
    }

    private mutating func append(_ field: (name: SIPHeaderName, value: String)) {
        guard field.value.utf8.count <= SIPLimits.maximumLineLength else {
            record(SIPParseError(.headerTooLong, header: field.name, detail: "\(field.name) header too long"))
            return
        }
        guard headers.count < SIPLimits.maximumHeaderCount else {
            record(SIPParseError(.tooManyHeaders, detail: "too many header fields"))
            return
        }
        headers.add(field.name, field.value)
    }

    private mutating func record(_ error: SIPParseError) {
        if problem == nil { problem = error }
    }

    private static func trimmed(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        var start = 0
        var end = bytes.count
        while start < end, SIPSyntax.isWhitespace(bytes[start]) { start += 1 }
        while end > start, SIPSyntax.isWhitespace(bytes[end - 1]) { end -= 1 }
        return UnsafeRawBufferPointer(rebasing: bytes[start..<end])
    }

    /// Offset of the blank line ending the head: returns the head length (up to and including
    /// the last header line's terminator) and where the body starts, or nil when absent.
    static func findEnd(_ bytes: UnsafeRawBufferPointer) -> (headLength: Int, bodyStart: Int)? {
        var index = 0
        while let newline = bytes[index...].firstIndex(of: SIPSyntax.lf) {
            let after = newline + 1
            if after < bytes.count, bytes[after] == SIPSyntax.lf {
                return (after, after + 1)
            }
            if after + 1 < bytes.count, bytes[after] == SIPSyntax.cr, bytes[after + 1] == SIPSyntax.lf {
                return (after, after + 2)
            }
            index = after
            if index >= bytes.count { break }
        }
        return nil
    }
}
