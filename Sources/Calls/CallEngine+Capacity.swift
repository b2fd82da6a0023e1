import AMI
import Foundation
import PBX
import SIPServer

/// Capacity accounting: the node's channel cap and each tenant's limits (channels, RTP port
/// pairs), checked before a call takes anything, counted as channels and media legs come and go.
extension CallEngine {
    /// Why `tenant` may not add `channels` channels and `mediaLegs` media legs now, or nil.
    /// The node's own cap is checked first (it answers for every tenant alike).
    func capacityRefusal(tenant: UUID, channels needed: Int, mediaLegs: Int) -> String? {
        if capacity.nodeChannels + needed > Self.maximumChannels {
            return "the node's limit of \(Self.maximumChannels) channels is reached"
        }
        guard let refusal = capacity.refusal(tenant: tenant, channels: needed, mediaLegs: mediaLegs) else { return nil }
        logger.notice("call refused: tenant capacity", metadata: ["tenant": "\(tenant)", "reason": "\(refusal)"])
        return refusal.description
    }

    /// Opens a media leg for `channel`, counting it against its tenant's RTP port pairs until the
    /// channel hangs up (the port itself closes with the channel).
    func openMedia(
        for channel: CallChannel, toward destination: SIPEndpoint,
        _ completion: @escaping (Result<any CallMediaPort, any Error>) -> Void
    ) {
        if !channel.holdsMediaLeg {
            channel.holdsMediaLeg = true
            capacity.mediaLegOpened(tenant: channel.tenant)
        }
        media.openPort(toward: destination, completion)
    }

    /// A channel is gone: what it held goes back to its tenant.
    func releaseCapacity(of channel: CallChannel) {
        capacity.channelClosed(tenant: channel.tenant)
        if channel.holdsMediaLeg {
            channel.holdsMediaLeg = false
            capacity.mediaLegClosed(tenant: channel.tenant)
        }
    }
}

extension CallEngine {
    /// What an Originate takes once it rings: a Local pair and the channel `;2` dials (one media
    /// leg), or one direct SIP channel with its media leg.
    static func capacityNeeded(for request: OriginateRequest) -> (channels: Int, mediaLegs: Int) {
        request.technology.lowercased() == "local" ? (3, 1) : (1, 1)
    }
}
