import Foundation
import NIOCore
import NodeSupport
import PBX
import SIP
import SIPServer

/// A channel inside the engine: the AMI-visible snapshot plus what drives it. Loop-confined.
final class CallChannel {
    enum Technology {
        /// An outbound SIP channel whose INVITE is not sent yet (its media is being opened).
        case pending
        case sip(SIPCallLeg)
        /// One half of a Local pair (`;1` or `;2`); `localPartner` is the other half.
        case local(half: Int)
    }

    var snapshot: PBX.Channel
    private(set) var technology: Technology
    /// Where an outbound SIP channel's INVITE goes, until it is sent.
    var pendingOutbound: PendingOutbound?
    /// For a Local half: its partner.
    weak var localPartner: CallChannel?
    /// Where it runs in the dialplan (nil while it is only a Dial target).
    var execution: DialplanExecution?
    /// The Dial this channel is running as caller.
    var dial: ActiveDial?
    /// The Dial that created this channel as a target.
    weak var dialedBy: ActiveDial?
    var bridge: CallBridge?
    var media: (any CallMediaPort)?
    /// This channel's RTP inactivity timeout when it differs from the node's `--rtp-timeout`
    /// (a trunk's `rtp_timeout`; `.zero` = never reaped); nil = the node's value.
    var rtpTimeout: TimeAmount?
    /// The codec the call settled on (chosen from the first leg's offer).
    var codec: CallSDP.Choice?
    var isAnswered: Bool { snapshot.state == .up }
    /// The cause of the last failed Dial, used by a following `Hangup()` without a cause.
    var dialCause: HangupCause?
    /// An Originate with `Application:`: the one application it runs instead of a dialplan.
    var singleApplication = SingleApplication.none
    /// Live until it hangs up; then gone with its cause (nothing may act on it any more).
    private(set) var lifecycle = Lifecycle.live
    /// Whether this channel counts one media leg (an RTP port pair) against its tenant's limit.
    var holdsMediaLeg = false
    /// The application the channel is running (Dial stays while its bridge lasts), for CoreShowChannels and Status.
    var application: (name: String, data: String)?
    /// The audio direction this channel's phone last asked for in a re-INVITE (hold is not sendrecv).
    var heldDirection = SDPDirection.sendrecv
    /// When the channel was created (seconds since the epoch), for durations.
    let createdAt = Int(Date().timeIntervalSince1970)
    /// A pending dialplan `Wait`.
    var waitTimer: LoopTimer?
    /// Originate bookkeeping: completion when `;1` answers or fails.
    var originate: OriginateTracking?

    /// Ends an Originate's wait, once `;1` has answered or failed: its timeout is cancelled.
    func endOriginateWait() -> OriginateTracking? {
        guard let tracking = originate else { return nil }
        originate = nil
        tracking.timeout?.cancel()
        return tracking
    }

    enum Lifecycle {
        case live
        case gone
    }

    enum SingleApplication {
        /// The channel runs a dialplan (or is only a Dial target).
        case none
        /// To run once the channel answers.
        case pending(DialplanInstruction)
        /// Started: when it returns the channel hangs up.
        case ran
    }

    init(snapshot: PBX.Channel, technology: Technology) {
        self.snapshot = snapshot
        self.technology = technology
    }

    func attach(_ leg: SIPCallLeg) {
        technology = .sip(leg)
        pendingOutbound = nil
    }

    var isGone: Bool {
        if case .gone = lifecycle { return true }
        return false
    }

    /// Marks the channel hung up (`CallEngine.hangup` does the rest).
    func end() {
        lifecycle = .gone
    }

    var ranSingleApplication: Bool {
        if case .ran = singleApplication { return true }
        return false
    }

    var isLocal: Bool {
        if case .local = technology { return true }
        return false
    }

    var sipLeg: SIPCallLeg? {
        if case .sip(let leg) = technology { return leg }
        return nil
    }

    var name: String { snapshot.name }
    var tenant: UUID { snapshot.tenant }
}

/// The request an outbound SIP channel will send.
struct PendingOutbound {
    var target: SIPURI
    /// nil until a trunk's host is resolved (`trunkHost`).
    var destination: SIPEndpoint?
    var domain: String
    var toUser: String
    var credentials: (username: String, password: String)?
    /// Route entries for the INVITE: a registered contact's Path (RFC 3327), top first.
    var route: [String] = []
    /// A trunk's host and port, resolved off the loop before the INVITE (RFC 3263).
    var trunkHost: (host: String, port: Int, transport: SIPEndpoint.Transport)? = nil
}

/// A Dial application in progress: the caller and the channels it rings.
final class ActiveDial {
    unowned let caller: CallChannel
    var targets: [CallChannel] = []
    var failures: [HangupCause] = []
    var timer: LoopTimer?
    var answered: CallChannel?
    init(caller: CallChannel) {
        self.caller = caller
    }
}

/// A two-party bridge, named by a UUID as Asterisk's bridges are.
final class CallBridge {
    let id = CallBridge.randomID()
    var channels: [CallChannel] = []

    /// A random (version 4) UUID in lower case, from the kernel's generator through the pool:
    /// Foundation's `UUID()` opened, read and closed `/dev/urandom` for every bridge.
    static func randomID() -> String {
        var generator = PooledRandom()
        var bytes = (generator.next() as UInt64, generator.next() as UInt64)
        let uuid = withUnsafeMutableBytes(of: &bytes) { raw in
            raw[6] = raw[6] & 0x0F | 0x40
            raw[8] = raw[8] & 0x3F | 0x80
            return raw.load(as: uuid_t.self)
        }
        return UUID(uuid: uuid).uuidString.lowercased()
    }
}

/// What an Originate waits for: its `;1` (or direct channel) answering or failing.
struct OriginateTracking {
    var onAnswer: () -> Void
    var onFailure: (_ cause: HangupCause) -> Void
    /// The Originate's `Timeout`, which hangs the channel up unanswered.
    var timeout: LoopTimer?
}
