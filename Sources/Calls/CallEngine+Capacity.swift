import AMI
import Foundation
import PBX
import SIPServer

/// Capacity accounting: the node's channel cap and each tenant's limits (channels, RTP port
/// pairs), checked before a call takes anything, counted as channels and media legs come and go.
extension CallEngine {
    /// Why `tenant` may not add `channels` channels and `mediaLegs` media legs now, or nil.
    /// The node's own cap is checked first (it answers for every tenant alike). `reservedFor`: the
    /// channels and media leg are for that call (linkedid), and what its reservation still holds is its own.
    func capacityRefusal(tenant: UUID, channels needed: Int, mediaLegs: Int, reservedFor linkedID: String? = nil) -> String? {
        if let refusal = nodeRefusal(channels: needed) { return refusal }
        var (channels, mediaLegs) = (needed, mediaLegs)
        if let linkedID, let reservation = reservations[linkedID], reservation.tenant == tenant {
            channels = max(0, channels - reservation.channels)
            mediaLegs = max(0, mediaLegs - reservation.mediaLegs)
        }
        guard let refusal = capacity.refusal(tenant: tenant, channels: channels, mediaLegs: mediaLegs) else { return nil }
        logger.notice("call refused: tenant capacity", metadata: ["tenant": "\(tenant)", "reason": "\(refusal)"])
        return refusal.description
    }

    /// Why the node may not add `channels` channels now (its cap over every shard and tenant), or nil.
    func nodeRefusal(channels: Int) -> String? {
        guard let limit = capacity.nodeChannelLimitReached(adding: channels) else { return nil }
        return "the node's limit of \(limit) channels is reached"
    }

    /// Opens a media leg for `channel`, counting it against its tenant's RTP port pairs until the
    /// channel hangs up (the port itself closes with the channel).
    func openMedia(
        for channel: CallChannel, toward destination: SIPEndpoint,
        _ completion: @escaping (Result<any CallMediaPort, any Error>) -> Void
    ) {
        if !channel.holdsMediaLeg {
            channel.holdsMediaLeg = true
            capacity.mediaLegOpened(tenant: channel.tenant, reserved: takeReserved(\.mediaLegs, of: channel))
        }
        media.openPort(toward: destination, completion)
    }

    // MARK: - Originate reservations

    /// What an admitted Originate reserved (`TenantCapacity.admitOriginate`, on the AMI session's
    /// loop) stays reserved while its call sets up: the channels and the media leg of the call
    /// (`linkedID`) take their places from it as they open, the rest goes back when the originated
    /// channel answers or fails. Without it, a burst of Originates would each pass admission in the
    /// moment between one's start and the media leg its dialplan opens later.
    func holdReservation(_ needed: (channels: Int, mediaLegs: Int), tenant: UUID, linkedID: String) {
        var reservation = reservations[linkedID] ?? CapacityReservation(tenant: tenant, channels: 0, mediaLegs: 0)
        reservation.channels += needed.channels
        reservation.mediaLegs += needed.mediaLegs
        reservations[linkedID] = reservation
    }

    /// Whether `channel` (`\.channels`) or its media leg (`\.mediaLegs`) takes its place from its call's reservation.
    func takeReserved(_ resource: WritableKeyPath<CapacityReservation, Int>, of channel: CallChannel) -> Bool {
        let linkedID = channel.snapshot.linkedID
        guard var reservation = reservations[linkedID], reservation.tenant == channel.tenant, reservation[keyPath: resource] > 0 else { return false }
        reservation[keyPath: resource] -= 1
        reservations[linkedID] = reservation
        return true
    }

    /// The call `linkedID` answered or failed: what it did not open goes back to its tenant.
    func releaseReservation(linkedID: String) {
        guard let reservation = reservations.removeValue(forKey: linkedID) else { return }
        capacity.releaseReservation(tenant: reservation.tenant, channels: reservation.channels, mediaLegs: reservation.mediaLegs)
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

/// What an admitted Originate reserved of its tenant's capacity and its call has not opened yet.
struct CapacityReservation {
    let tenant: UUID
    var channels: Int
    var mediaLegs: Int
}
