import NIOCore

/// A session description (RFC 4566) with what offer/answer needs: origin, connection,
/// timing, attributes and media sections. Unknown line types are kept so that a description
/// can be relayed unchanged.
public struct SDPSession: Sendable, Hashable, CustomStringConvertible {
    public var origin: SDPOrigin
    public var sessionName: String
    public var connection: SDPConnection?
    /// The `t=` value; `0 0` for a permanent session.
    public var timing: String
    public var attributes: [SDPAttribute]
    public var media: [SDPMediaDescription]
    /// Session-level lines of other types (`i=`, `b=`, `u=`, ...), verbatim as `x=value`.
    public var otherLines: [String]

    public init(
        origin: SDPOrigin, sessionName: String = "-", connection: SDPConnection? = nil,
        timing: String = "0 0", attributes: [SDPAttribute] = [], media: [SDPMediaDescription] = []
    ) {
        self.origin = origin
        self.sessionName = sessionName
        self.connection = connection
        self.timing = timing
        self.attributes = attributes
        self.media = media
        self.otherLines = []
    }

    /// Parses a description; nil without `v=0` first, without `o=`, or with a malformed
    /// `o=`, `c=` or `m=` line. Lines may end in CRLF, LF or CR. The line structure is ASCII, so it is
    /// read on UTF-8 bytes (values may hold any UTF-8 and are kept as they are).
    public init?(_ text: String) {
        let lines = Self.split(text[...], at: { $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") })
        guard let first = lines.first, first == "v=0" else { return nil }
        var origin: SDPOrigin?
        self.init(origin: SDPOrigin(sessionID: "0", sessionVersion: 0, connection: SDPConnection(address: "0.0.0.0")))
        timing = ""
        for line in lines.dropFirst() {
            let bytes = line.utf8
            guard bytes.count >= 2, bytes[bytes.index(after: bytes.startIndex)] == UInt8(ascii: "="),
                let type = bytes.first
            else { return nil }
            let value = Substring(bytes.dropFirst(2))
            if type == UInt8(ascii: "m") {
                guard let section = SDPMediaDescription(mLine: value) else { return nil }
                media.append(section)
                continue
            }
            let inMedia = !media.isEmpty
            switch type {
            case UInt8(ascii: "o") where !inMedia:
                guard let parsed = SDPOrigin(value) else { return nil }
                origin = parsed
            case UInt8(ascii: "s") where !inMedia: sessionName = String(value)
            case UInt8(ascii: "t") where !inMedia: timing = String(value)
            case UInt8(ascii: "c"):
                guard let parsed = SDPConnection(value) else { return nil }
                if inMedia { media[media.count - 1].connection = parsed } else { connection = parsed }
            case UInt8(ascii: "a"):
                let attribute = SDPAttribute(line: value)
                if inMedia { media[media.count - 1].attributes.append(attribute) } else { attributes.append(attribute) }
            default:
                if inMedia { media[media.count - 1].otherLines.append(String(line)) } else { otherLines.append(String(line)) }
            }
        }
        guard let origin else { return nil }
        self.origin = origin
    }

    /// The non-empty runs of `text` between bytes that `isSeparator` picks (ASCII separators only, so
    /// every cut falls between Unicode scalars).
    static func split(_ text: Substring, at isSeparator: (UInt8) -> Bool) -> [Substring] {
        text.utf8.split(omittingEmptySubsequences: true, whereSeparator: isSeparator).map { Substring($0) }
    }

    /// The space-separated fields of a line's value (`o=`, `c=`, `m=`).
    static func fields(_ value: Substring) -> [Substring] {
        split(value, at: { $0 == UInt8(ascii: " ") })
    }

    /// Parses a message body.
    public init?(body: ByteBuffer) {
        self.init(String(buffer: body))
    }

    /// The description in canonical line order, CRLF-terminated.
    public var description: String {
        var output = "v=0\r\no=\(origin)\r\ns=\(sessionName)\r\n"
        for line in otherLines where !line.hasPrefix("b=") && !line.hasPrefix("r=") && !line.hasPrefix("z=") {
            output += line + "\r\n"
        }
        if let connection { output += "c=\(connection)\r\n" }
        for line in otherLines where line.hasPrefix("b=") { output += line + "\r\n" }
        output += "t=\(timing.isEmpty ? "0 0" : timing)\r\n"
        for line in otherLines where line.hasPrefix("r=") || line.hasPrefix("z=") { output += line + "\r\n" }
        for attribute in attributes { output += "a=\(attribute)\r\n" }
        for section in media { section.write(into: &output) }
        return output
    }

    /// The description as a message body.
    public var body: ByteBuffer { ByteBuffer(string: description) }
}
