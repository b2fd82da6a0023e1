/// An RTP payload format Centralino can offer or accept.
public struct SDPCodec: Sendable, Hashable {
    /// Encoding name as in `a=rtpmap` (`PCMU`, `opus`, `telephone-event`).
    public var name: String
    /// RTP clock rate as written in SDP (G.722 says 8000 for historical reasons, RFC 3551 §4.5.2).
    public var clockRate: Int
    public var channels: Int?
    /// The static payload type of RFC 3551, or nil for dynamic ones.
    public var staticPayloadType: Int?
    /// Payload type we pick when offering a dynamic format.
    public var preferredDynamicPayloadType: Int?
    /// `a=fmtp` parameters we send.
    public var fmtp: String?

    public init(
        name: String, clockRate: Int, channels: Int? = nil, staticPayloadType: Int? = nil,
        preferredDynamicPayloadType: Int? = nil, fmtp: String? = nil
    ) {
        self.name = name
        self.clockRate = clockRate
        self.channels = channels
        self.staticPayloadType = staticPayloadType
        self.preferredDynamicPayloadType = preferredDynamicPayloadType
        self.fmtp = fmtp
    }

    public static let pcmu = SDPCodec(name: "PCMU", clockRate: 8000, staticPayloadType: 0)
    public static let pcma = SDPCodec(name: "PCMA", clockRate: 8000, staticPayloadType: 8)
    public static let g722 = SDPCodec(name: "G722", clockRate: 8000, staticPayloadType: 9)
    public static let opus = SDPCodec(name: "opus", clockRate: 48000, channels: 2, preferredDynamicPayloadType: 111)
    /// DTMF events (RFC 4733).
    public static let telephoneEvent = SDPCodec(
        name: "telephone-event", clockRate: 8000,
        preferredDynamicPayloadType: 101, fmtp: "0-16")

    /// The payload type to use in an offer.
    public var offerPayloadType: Int { staticPayloadType ?? preferredDynamicPayloadType ?? 96 }

    /// The `a=rtpmap` value for payload type `payloadType`.
    public func rtpmap(payloadType: Int) -> String {
        "\(payloadType) \(name)/\(clockRate)" + (channels.map { "/\($0)" } ?? "")
    }

    /// Whether payload type `format` of `media` is this codec: by rtpmap name and clock rate,
    /// or by static number when there is no rtpmap. A format that is not a payload type never matches.
    public func matches(format: String, in media: SDPMediaDescription) -> Bool {
        // Only a real payload type (0-127) can match: what we answer with must fit the RTP header.
        guard SDPMediaDescription.payloadType(format) != nil else { return false }
        if let map = media.rtpmap(for: format) {
            return map.encoding.caseInsensitiveCompare(name) && map.clockRate == clockRate
        }
        return staticPayloadType.map(String.init) == format
    }
}

extension String {
    fileprivate func caseInsensitiveCompare(_ other: String) -> Bool {
        equalsIgnoringASCIICase(other)
    }
}
