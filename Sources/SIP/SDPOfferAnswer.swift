/// Builds offers and answers (RFC 3264) for an anchored-media PBX: one audio stream on our
/// own address and port.
public enum SDPOfferAnswer {
    /// An audio offer listing `codecs` in preference order.
    public static func offer(
        origin: SDPOrigin, address: SDPConnection, port: Int, codecs: [SDPCodec],
        ptime: Int? = 20
    ) -> SDPSession {
        var media = SDPMediaDescription(media: "audio", port: port, formats: codecs.map { String($0.offerPayloadType) })
        for codec in codecs {
            media.attributes.append(SDPAttribute("rtpmap", codec.rtpmap(payloadType: codec.offerPayloadType)))
            if let fmtp = codec.fmtp { media.attributes.append(SDPAttribute("fmtp", "\(codec.offerPayloadType) \(fmtp)")) }
        }
        if let ptime { media.attributes.append(SDPAttribute("ptime", String(ptime))) }
        media.attributes.append(SDPAttribute(SDPDirection.sendrecv.rawValue))
        return SDPSession(origin: origin, connection: address, media: [media])
    }

    /// The answer to `offer`: the first audio stream that shares a codec with `supported` is
    /// accepted on `port` (keeping the offerer's payload type numbers and order, plus
    /// telephone-event when both sides have it); every other stream is rejected with port 0.
    /// Returns nil when no stream can be accepted (answer 488 Not Acceptable Here).
    public static func answer(
        _ offer: SDPSession, origin: SDPOrigin, address: SDPConnection, port: Int,
        supported: [SDPCodec]
    ) -> SDPSession? {
        var accepted = false
        var answered: [SDPMediaDescription] = []
        for offered in offer.media {
            if !accepted, offered.port != 0, offered.media == "audio",
                let section = acceptAudio(offered, port: port, supported: supported)
            {
                accepted = true
                answered.append(section)
            } else {
                answered.append(
                    SDPMediaDescription(
                        media: offered.media, port: 0, proto: offered.proto,
                        formats: Array(offered.formats.prefix(1))))
            }
        }
        guard accepted else { return nil }
        return SDPSession(origin: origin, connection: address, media: answered)
    }

    private static func acceptAudio(_ offered: SDPMediaDescription, port: Int, supported: [SDPCodec]) -> SDPMediaDescription? {
        let voice = supported.filter { $0 != .telephoneEvent }
        var formats: [String] = []
        var attributes: [SDPAttribute] = []
        for format in offered.formats {
            guard let codec = supported.first(where: { $0.matches(format: format, in: offered) }) else { continue }
            if codec == .telephoneEvent, formats.isEmpty { continue }  // a voice codec must come first
            formats.append(format)
            attributes.append(SDPAttribute("rtpmap", codec.rtpmap(payloadType: Int(format) ?? codec.offerPayloadType)))
            if let fmtp = offered.fmtp(for: format) { attributes.append(SDPAttribute("fmtp", "\(format) \(fmtp)")) }
        }
        guard formats.contains(where: { format in voice.contains { $0.matches(format: format, in: offered) } }) else {
            return nil
        }
        if let ptime = offered.ptime { attributes.append(SDPAttribute("ptime", String(ptime))) }
        attributes.append(SDPAttribute(offered.direction.answer.rawValue))
        return SDPMediaDescription(media: "audio", port: port, proto: offered.proto, formats: formats, attributes: attributes)
    }
}
