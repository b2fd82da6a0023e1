import Foundation
import PBX
import SIP
import SIPServer

/// Media across bridges and Local pairs: audio flows between the two real (SIP) legs at the ends.
extension CallEngine {
    /// The SIP channel whose audio `channel` carries: itself, or, for a Local half, whatever the
    /// partner half is bridged with (followed through further Local pairs).
    func mediaEndpoint(of channel: CallChannel) -> CallChannel? {
        var current = channel
        var hops = 0
        while current.isLocal, hops < 8 {
            guard let partner = current.localPartner, let bridge = partner.bridge,
                let next = bridge.channels.first(where: { $0 !== partner })
            else { return nil }
            current = next
            hops += 1
        }
        return current.media == nil ? nil : current
    }

    /// After a bridge forms, relay audio between the real endpoints it connects.
    func connectMedia(_ a: CallChannel, _ b: CallChannel) {
        guard let left = mediaEndpoint(of: a), let right = mediaEndpoint(of: b), left !== right,
            let leftMedia = left.media, let rightMedia = right.media
        else { return }
        leftMedia.stopTone()
        rightMedia.stopTone()
        leftMedia.bridge(with: rightMedia)
    }

    /// Our SDP answer for an inbound leg (computed when its media opened).
    func answerSDP(for channel: CallChannel) -> SDPSession? {
        guard let media = channel.media, let choice = channel.codec else { return nil }
        return CallSDP.answer(channel.sipLeg?.remoteSDP, choice: choice, host: media.host, port: media.port)
    }
}
