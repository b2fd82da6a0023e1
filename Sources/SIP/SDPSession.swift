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
    /// `o=`, `c=` or `m=` line. Lines may end in CRLF or LF.
    public init?(_ text: String) {
        let lines = text.split(omittingEmptySubsequences: true) { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }
        guard let first = lines.first, first == "v=0" else { return nil }
        var origin: SDPOrigin?
        self.init(origin: SDPOrigin(sessionID: "0", sessionVersion: 0, connection: SDPConnection(address: "0.0.0.0")))
        timing = ""
        for line in lines.dropFirst() {
            guard line.count >= 2, line.dropFirst().first == "=", let type = line.first else { return nil }
            let value = line.dropFirst(2)
            if type == "m" {
                guard let section = SDPMediaDescription(mLine: value) else { return nil }
                media.append(section)
                continue
            }
            let inMedia = !media.isEmpty
            switch type {
            case "o" where !inMedia:
                guard let parsed = SDPOrigin(value) else { return nil }
                origin = parsed
            case "s" where !inMedia: sessionName = String(value)
            case "t" where !inMedia: timing = String(value)
            case "c":
                guard let parsed = SDPConnection(value) else { return nil }
                if inMedia { media[media.count - 1].connection = parsed } else { connection = parsed }
            case "a":
                let attribute = SDPAttribute(line: value)
                if inMedia { media[media.count - 1].attributes.append(attribute) } else { attributes.append(attribute) }
            default:
                if inMedia { media[media.count - 1].otherLines.append(String(line)) } else { otherLines.append(String(line)) }
            }
        }
        guard let origin else { return nil }
        self.origin = origin
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
