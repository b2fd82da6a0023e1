import Foundation
import Logging
import NIOCore
import PBX
import SIP
import SIPServer

/// The call engine: channels, the dialplan they run, Dial, bridges, Local pairs and the events
/// they raise. Confined to one event loop (`loop`): the SIP driver and `CallControl` hop onto it.
final class CallEngine {
    let loop: any EventLoop
    let driver: SIPCallDriver
    let sip: SIPCore
    let directory: SIPDirectory
    /// Where the events of channels, bridges and devices go (the AMI event bus).
    let events: any CallEventSink
    let media: any CallMediaRelay
    let dialplans: any CallDialplanProvider
    /// Per-tenant limits and what each tenant holds (channels, media legs), counted here.
    let capacity: TenantCapacity
    let logger: Logger
    var ids = UniqueIDGenerator()
    /// Every live channel by uniqueid.
    var channels: [String: CallChannel] = [:]
    var channelByLeg: [Int: CallChannel] = [:]
    /// Last announced state per device of a tenant (`PJSIP/100`, `Local/100@c2c`, a trunk's `PJSIP/carrier`).
    var deviceStates: [TenantName: String] = [:]
    /// Live channels per device, by state (`countDeviceUsage`), so device state needs no scan.
    var deviceUsage: [TenantName: DeviceUsage] = [:]
    /// What admitted Originates reserved and their calls have not opened yet, by the calls' linkedid.
    var reservations: [String: CapacityReservation] = [:]
    /// Calls completed since start, per tenant, for CoreStatus (a user sees only its tenant's).
    var processedCalls: [UUID: Int] = [:]
    /// What a channel may hold (set from the `serve` flags; the AMI checks Originate against the same).
    var variableLimits = ChannelVariables.Limits.standard
    /// Call detail records built from this engine's events, and where they go (nil: none are kept).
    let cdrRecorder = CDRRecorder()
    var cdrSink: (any CDRSink)?
    /// In a cluster: the tenants whose calls run on another node (their INVITEs get 503 here).
    var homes: CallHomeGate?

    init(
        loop: any EventLoop, driver: SIPCallDriver, sip: SIPCore, directory: SIPDirectory, events: any CallEventSink,
        media: any CallMediaRelay, dialplans: any CallDialplanProvider, capacity: TenantCapacity, logger: Logger
    ) {
        self.loop = loop
        self.driver = driver
        self.sip = sip
        self.directory = directory
        self.events = events
        self.media = media
        self.dialplans = dialplans
        self.capacity = capacity
        self.logger = logger
    }

    // MARK: - Channels

    func newUniqueID() -> String { ids.next(epochSeconds: Int(Date().timeIntervalSince1970)) }

    /// Creates and announces a channel (`Newchannel`).
    @discardableResult
    func addChannel(_ channel: CallChannel) -> CallChannel {
        channels[channel.snapshot.uniqueID] = channel
        capacity.channelOpened(tenant: channel.tenant, reserved: takeReserved(\.channels, of: channel))
        countDeviceUsage(of: channel, in: channel.snapshot.state, 1)
        if let leg = channel.sipLeg { channelByLeg[leg.id] = channel }
        emit(.channel("Newchannel", channel.snapshot))
        refreshDevice(of: channel)
        return channel
    }

    func setState(_ channel: CallChannel, _ state: ChannelState) {
        guard channel.snapshot.state != state, !channel.isGone else { return }
        countDeviceUsage(of: channel, in: channel.snapshot.state, -1)
        countDeviceUsage(of: channel, in: state, 1)
        channel.snapshot.state = state
        emit(.channel("Newstate", channel.snapshot))
        refreshDevice(of: channel)
    }

    /// Sets a channel variable and raises VarSet; false (nothing set) when the channel's limits refuse it.
    @discardableResult
    func setVariable(_ channel: CallChannel, _ name: String, _ value: String) -> Bool {
        guard channel.snapshot.variables.set(name, value, limits: variableLimits) else {
            logger.warning("channel variable not set: over the channel's limits", metadata: ["channel": "\(channel.name)"])
            return false
        }
        emit(.varSet(channel.snapshot, name: name, value: value))
        return true
    }

    /// Hangs a channel up: its technology ends (BYE, CANCEL, final response), its media closes,
    /// `Hangup` is raised, and whatever depended on it (a Dial, a bridge peer, a Local partner) follows.
    /// Why a channel hangs up, which decides the request events Asterisk raises before `Hangup`.
    enum HangupOrigin {
        /// The far end (BYE, CANCEL) or something queued on the channel: HangupRequest.
        case farEnd
        /// Its own dialplan (Hangup, Busy, end of extension): SoftHangupRequest.
        case dialplan
        /// Its Local partner ended: HangupRequest, then SoftHangupRequest if it was running something.
        case localPartner
        /// Whoever dialled it gave up on it (cancel, timeout, answered elsewhere, failure): no request.
        case dialer
        /// AMI Hangup: no request for the channel itself; what it dials gets HangupRequest.
        case ami
    }

    func hangup(_ channel: CallChannel, cause: HangupCause, origin: HangupOrigin = .farEnd) {
        guard !channel.isGone else { return }
        let wasBusy = channel.execution != nil || channel.dial != nil || channel.bridge != nil
        channel.end()
        countDeviceUsage(of: channel, in: channel.snapshot.state, -1)
        channel.waitTimer?.cancel()
        let requestFields = [("Cause", String(cause.rawValue))]
        switch origin {
        case .farEnd: emit(.channel("HangupRequest", channel.snapshot, extra: requestFields))
        case .dialplan: emit(.channel("SoftHangupRequest", channel.snapshot, extra: [("Cause", "16")]))
        case .localPartner: emit(.channel("HangupRequest", channel.snapshot, extra: requestFields))
        case .dialer, .ami: break
        }
        if let dial = channel.dial { abandonDial(dial, cause: cause, requestTargets: origin == .ami) }
        if origin == .localPartner, wasBusy {
            // The queued hangup interrupts what the channel was running.
            emit(.channel("SoftHangupRequest", channel.snapshot, extra: [("Cause", "16")]))
        }
        if let leg = channel.sipLeg {
            driver.hangup(leg, cause: cause)
            channelByLeg[leg.id] = nil
        }
        if let bridge = channel.bridge { leaveBridge(channel, bridge) }
        channel.media?.stopTone()
        channel.media?.close()
        channel.media = nil
        if let tracking = channel.endOriginateWait() { tracking.onFailure(cause) }
        let leavingDial = channel.dialedBy.flatMap { targetLeaving($0, target: channel, cause: cause) ? $0 : nil }
        emit(.hangup(channel.snapshot, cause: cause))
        channels[channel.snapshot.uniqueID] = nil
        releaseCapacity(of: channel)
        refreshDevice(of: channel)
        if let partner = channel.localPartner, !partner.isGone { hangup(partner, cause: cause, origin: .localPartner) }
        if let dial = leavingDial { settleDial(dial) }
        if channel.snapshot.linkedID == channel.snapshot.uniqueID { processedCalls[channel.tenant, default: 0] += 1 }
    }

    // MARK: - Bridges

    func bridge(_ a: CallChannel, _ b: CallChannel) {
        let bridge = CallBridge()
        emit(PBXEvent("BridgeCreate", fields: bridgeFields(bridge), tenant: a.tenant))
        for channel in [a, b] {
            bridge.channels.append(channel)
            channel.bridge = bridge
            emit(PBXEvent("BridgeEnter", fields: bridgeFields(bridge) + channel.snapshot.eventFields(), tenant: channel.tenant))
        }
        connectMedia(a, b)
    }

    func leaveBridge(_ channel: CallChannel, _ bridge: CallBridge) {
        bridge.channels.removeAll { $0 === channel }
        channel.bridge = nil
        channel.media?.unbridge()
        emit(PBXEvent("BridgeLeave", fields: bridgeFields(bridge) + channel.snapshot.eventFields(), tenant: channel.tenant))
        if let peer = bridge.channels.first {
            // A two-party bridge ends with either party: the other leaves and hangs up (Dial returns).
            bridge.channels.removeAll()
            peer.bridge = nil
            peer.media?.unbridge()
            emit(PBXEvent("BridgeLeave", fields: bridgeFields(bridge) + peer.snapshot.eventFields(), tenant: peer.tenant))
            emit(PBXEvent("BridgeDestroy", fields: bridgeFields(bridge), tenant: peer.tenant))
            continueAfterBridge(peer)
        } else {
            emit(PBXEvent("BridgeDestroy", fields: bridgeFields(bridge), tenant: channel.tenant))
        }
    }

    func bridgeFields(_ bridge: CallBridge) -> [(String, String)] {
        [
            ("BridgeUniqueid", bridge.id), ("BridgeType", "basic"), ("BridgeTechnology", "simple_bridge"),
            ("BridgeCreator", "<unknown>"), ("BridgeName", "<unknown>"), ("BridgeNumChannels", String(bridge.channels.count)),
            ("BridgeVideoSourceMode", "none"),
        ]
    }

    // MARK: - Events

    func emit(_ event: PBXEvent) {
        events.publish(event)
        recordCDRs(event)
    }
}
