import Foundation
import NIOCore
import NodeSupport
import SIP
import SIPServer

/// One SIP dialog of a call (an INVITE session), inbound (we are UAS) or outbound (we are UAC).
/// Confined to the call event loop.
final class SIPCallLeg {
    enum Direction { case inbound, outbound }

    enum State: Equatable {
        /// INVITE sent or received, no final response yet. Inbound legs stay here until they
        /// answer; outbound ones move to `proceeding` with the first provisional response.
        case early
        /// Outbound: a provisional response arrived, so a CANCEL may be sent (RFC 3261 §9.1).
        case proceeding
        /// Outbound: hung up before any provisional response; the CANCEL goes with the first one.
        case cancelOnProvisional
        /// 2xx sent (waiting for ACK) or received (ACK sent).
        case answered
        /// BYE or CANCEL sent, or a failure final response sent.
        case ending
        case ended

        /// No final response yet and nothing sent to end it: the leg may still be answered or cancelled.
        var isEarly: Bool { self == .early || self == .proceeding }
    }

    let id: Int
    let direction: Direction
    let tenant: UUID
    /// Where requests and responses of this dialog go (the contact's source address, or the trunk).
    let destination: SIPEndpoint
    let callID: String
    let localTag: String
    var remoteTag: String?
    /// Our and the peer's name-addr as used in From/To of requests we send (without tags).
    var localParty: String
    var remoteParty: String
    var remoteTarget: SIPURI
    /// The dialog's route set (RFC 3261 §12.1): Route entries of every request we send in it, top first.
    var routeSet: [String] = []
    var localCSeq: UInt32 = 1
    var state = State.early
    /// Inbound: the INVITE received. Outbound: the INVITE sent (for ACK to failures and CANCEL).
    var invite: SIPRequest
    /// The ACK sent for the last 2xx to our INVITE, sent again for its retransmissions.
    var ack: SIPRequest?
    var authenticated = false
    var localSDP: SDPSession?
    var remoteSDP: SDPSession?
    /// A re-INVITE we sent, waiting for its final response.
    var pendingReInvite: SIPCallDriver.PendingReInvite?
    /// A re-INVITE we received and have not answered yet.
    var incomingReInvite: SIPRequest?
    private var sdpVersion: UInt64 = 1
    /// The RFC 4028 session interval granted for this dialog (refresher set), and whether our 2xx
    /// must carry `Require: timer`.
    var sessionExpires: SessionExpires?
    var sessionRequire = false
    /// The running session timer and its scheduled check (`SIPCallDriver+SessionTimer`).
    var sessionTimer: SessionTimer?
    var sessionTimerTask: LoopTimer?
    /// Outbound: the `Allow` values of the peer's 2xx (whether it takes UPDATE for refreshes).
    var peerAllow: [String] = []
    /// Outbound: our INVITE was already retried once after a 422 (RFC 4028 §7.3).
    var sessionRetried = false

    /// The next `o=` session version for an SDP we send again in this dialog.
    func nextSDPVersion() -> UInt64 {
        sdpVersion += 1
        return sdpVersion
    }

    /// Credentials for a trunk that challenges (username, HA1 inputs).
    var trunkCredentials: (username: String, password: String)?

    init(
        id: Int, direction: Direction, tenant: UUID, destination: SIPEndpoint, callID: String, localTag: String,
        localParty: String, remoteParty: String, remoteTarget: SIPURI, invite: SIPRequest
    ) {
        self.id = id
        self.direction = direction
        self.tenant = tenant
        self.destination = destination
        self.callID = callID
        self.localTag = localTag
        self.localParty = localParty
        self.remoteParty = remoteParty
        self.remoteTarget = remoteTarget
        self.invite = invite
    }

    /// A new in-dialog request (BYE, re-INVITE) with the next CSeq.
    func request(_ method: SIPMethod, via: String) -> SIPRequest {
        localCSeq += 1
        var headers = SIPHeaders()
        headers.add(.via, via)
        headers.add(.maxForwards, "70")
        for route in routeSet { headers.add(.route, route) }
        headers.add(.from, "\(localParty);tag=\(localTag)")
        headers.add(.to, remoteTag.map { "\(remoteParty);tag=\($0)" } ?? remoteParty)
        headers.add(.callID, callID)
        headers.add(.cseq, "\(localCSeq) \(method.rawValue)")
        headers.add(.userAgent, SIPCore.serverName)
        return SIPRequest(method: method, uri: remoteTarget, headers: headers)
    }
}
