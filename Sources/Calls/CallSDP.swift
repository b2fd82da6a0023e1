import Foundation
import NodeSupport
import SIP
import SIPServer

/// SDP for anchored media without transcoding: the caller's first supported codec is the one every
/// other leg of the call is offered, with the caller's payload type numbers.
struct CallSDP {
    /// Codecs Centralino relays (in no preferred order: the caller's order decides).
    static let relayable: [SDPCodec] = [.pcmu, .pcma, .g722, .opus]

    /// The codec a call settles on, with its payload type as the caller numbered it, and
    /// telephone-event's payload type when offered.
    struct Choice: Equatable {
        var codec: SDPCodec
        var payloadType: Int
        var telephoneEvent: Int?

        var codecs: [SDPCodec] {
            var voice = codec
            voice.preferredDynamicPayloadType = payloadType
            var list = [voice]
            if let telephoneEvent {
                var event = SDPCodec.telephoneEvent
                event.preferredDynamicPayloadType = telephoneEvent
                list.append(event)
            }
            return list
        }
    }

    static func choose(from offer: SDPSession?) -> Choice? {
        guard let offer else { return Choice(codec: .pcmu, payloadType: 0, telephoneEvent: 101) }
        guard let audio = offer.media.first(where: { $0.media == "audio" && $0.port != 0 }) else { return nil }
        var choice: Choice?
        for format in audio.formats {
            if choice == nil, let codec = relayable.first(where: { $0.matches(format: format, in: audio) }) {
                choice = Choice(codec: codec, payloadType: Int(format) ?? codec.offerPayloadType, telephoneEvent: nil)
            }
        }
        if let event = audio.formats.first(where: { SDPCodec.telephoneEvent.matches(format: $0, in: audio) }) {
            choice?.telephoneEvent = Int(event)
        }
        return choice
    }

    static func origin(host: String) -> SDPOrigin {
        var random = PooledRandom()
        return SDPOrigin(
            username: "centralino", sessionID: String(UInt32.random(in: 1...UInt32.max, using: &random)), sessionVersion: 1,
            connection: connection(host))
    }

    static func connection(_ host: String) -> SDPConnection {
        SDPConnection(addressType: host.hasColon ? "IP6" : "IP4", address: host)
    }

    /// Our answer to the caller's offer, on our `port`, with only the chosen codec.
    static func answer(_ offer: SDPSession?, choice: Choice, host: String, port: Int) -> SDPSession? {
        guard let offer else { return self.offer(choice: choice, host: host, port: port) }
        return SDPOfferAnswer.answer(offer, origin: origin(host: host), address: connection(host), port: port, supported: choice.codecs)
    }

    /// Our offer to another leg, with the chosen codec.
    static func offer(choice: Choice, host: String, port: Int) -> SDPSession {
        SDPOfferAnswer.offer(origin: origin(host: host), address: connection(host), port: port, codecs: choice.codecs)
    }

    /// Where the peer wants its audio: (host, RTP port) of the first accepted audio stream.
    static func remoteAudio(_ sdp: SDPSession?) -> (host: String, port: Int)? {
        guard let sdp, let audio = sdp.media.first(where: { $0.media == "audio" && $0.port != 0 }),
            let connection = audio.connection ?? sdp.connection
        else { return nil }
        return (connection.address, audio.port)
    }
}
