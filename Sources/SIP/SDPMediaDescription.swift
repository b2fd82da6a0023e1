/// One `m=` section with its `c=` and `a=` lines (RFC 4566 §5.14).
public struct SDPMediaDescription: Sendable, Hashable {
    /// `audio`, `video`, ...
    public var media: String
    /// 0 rejects or disables the stream (RFC 3264 §6).
    public var port: Int
    public var portCount: Int?
    /// `RTP/AVP`, `RTP/SAVP`, ...
    public var proto: String
    /// Payload type numbers for RTP, as text.
    public var formats: [String]
    public var connection: SDPConnection?
    public var attributes: [SDPAttribute]
    /// Lines of other types (`i=`, `b=`, `k=`), kept verbatim as `x=value`.
    public var otherLines: [String]

    public init(
        media: String, port: Int, proto: String = "RTP/AVP", formats: [String],
        connection: SDPConnection? = nil, attributes: [SDPAttribute] = []
    ) {
        self.media = media
        self.port = port
        self.portCount = nil
        self.proto = proto
        self.formats = formats
        self.connection = connection
        self.attributes = attributes
        self.otherLines = []
    }

    /// Parses the value of an `m=` line.
    init?(mLine value: Substring) {
        let parts = SDPSession.fields(value)
        guard parts.count >= 3 else { return nil }
        // `m=audio / RTP/AVP 0` splits into no port at all: never index it blindly.
        let portParts = parts[1].utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).map { Substring($0) }
        guard portParts.count <= 2, let port = Int(portParts[0]), Self.portRange.contains(port) else { return nil }
        self.init(media: String(parts[0]), port: port, proto: String(parts[2]), formats: parts.dropFirst(3).map(String.init))
        if portParts.count == 2 { portCount = Self.portRange.contains(Int(portParts[1]) ?? -1) ? Int(portParts[1]) : nil }
    }

    /// UDP ports (RFC 768: 16 bits).
    public static let portRange = 0...65_535
    /// RTP payload types are 7 bits (RFC 3550 §5.1).
    public static let payloadTypeRange = 0...127
    /// `a=ptime` values kept: 1 ms to 1 s (RFC 4566 §6; nobody packs more audio than that).
    public static let ptimeRange = 1...1_000

    /// The RTP payload type a format names, or nil when it is not a number in `payloadTypeRange`
    /// (a peer's `m=audio 4000 RTP/AVP 300` must not reach a `UInt8` conversion).
    public static func payloadType(_ format: String) -> Int? {
        guard format.utf8.count <= 3, format.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let value = Int(format),
            payloadTypeRange.contains(value)
        else { return nil }
        return value
    }

    /// The first value of attribute `name`.
    public func attribute(_ name: String) -> String? {
        attributes.first { $0.name == name }?.value
    }

    /// The direction attribute, `sendrecv` when absent (session-level default not applied).
    public var direction: SDPDirection {
        attributes.lazy.compactMap { SDPDirection(rawValue: $0.name) }.first ?? .sendrecv
    }

    /// `a=rtpmap:<pt> <encoding>/<clock>[/<channels>]` for payload type `format`.
    public func rtpmap(for format: String) -> (encoding: String, clockRate: Int, channels: Int?)? {
        for attribute in attributes where attribute.name == "rtpmap" {
            guard let value = attribute.value, let space = value.firstIndex(of: " "),
                value[..<space] == format
            else { continue }
            let parts = value[value.index(after: space)...].split(separator: "/")
            guard parts.count >= 2, let clock = Int(parts[1]) else { return nil }
            return (String(parts[0]), clock, parts.count > 2 ? Int(parts[2]) : nil)
        }
        return nil
    }

    /// The `a=fmtp` parameters for payload type `format`.
    public func fmtp(for format: String) -> String? {
        for attribute in attributes where attribute.name == "fmtp" {
            guard let value = attribute.value, let space = value.firstIndex(of: " "),
                value[..<space] == format
            else { continue }
            return String(value[value.index(after: space)...])
        }
        return nil
    }

    /// `a=ptime` in milliseconds.
    public var ptime: Int? { attribute("ptime").flatMap { Int($0) }.flatMap { Self.ptimeRange.contains($0) ? $0 : nil } }

    /// The RTCP port of `a=rtcp` (RFC 3605).
    public var rtcpPort: Int? {
        attribute("rtcp").flatMap { Int($0.split(separator: " ").first ?? "") }.flatMap { Self.portRange.contains($0) ? $0 : nil }
    }

    func write(into output: inout String) {
        let port = portCount.map { "\(self.port)/\($0)" } ?? String(self.port)
        output += "m=\(media) \(port) \(proto)" + formats.map { " " + $0 }.joined() + "\r\n"
        for line in otherLines where line.hasPrefix("i=") { output += line + "\r\n" }
        if let connection { output += "c=\(connection)\r\n" }
        for line in otherLines where !line.hasPrefix("i=") { output += line + "\r\n" }
        for attribute in attributes { output += "a=\(attribute)\r\n" }
    }
}
