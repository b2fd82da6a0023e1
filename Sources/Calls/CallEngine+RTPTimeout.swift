import Foundation
import NIOCore
import NodeSupport
import PBX
import SIP
import SIPServer

/// Dead-peer reaping by RTP inactivity (`--rtp-timeout`, Asterisk's `rtp_timeout`): an answered
/// channel whose far end has sent no RTP or RTCP for that long is hung up as
/// `res_pjsip_sdp_rtp.c`'s `rtp_check_timeout()` does it: soft hangup (`AST_SOFTHANGUP_DEV`), cause
/// 44 "Requested channel not available", BYE to it; the bridge then ends the other side.
///
/// A channel that is not up, or whose call is on hold (either side's SDP says `sendonly`,
/// `recvonly` or `inactive`), restarts its count (Asterisk's `rtp_timeout_hold` defaults to off).
///
/// A trunk's `rtp_timeout` overrides the node's value for the legs through that trunk
/// (`CallChannel.rtpTimeout`, 0 = never); every other channel keeps the node's value.
extension CallEngine {
    /// How often answered channels are checked: a dead call is reaped between the timeout and
    /// the timeout plus this.
    static let rtpTimeoutCheckInterval = TimeAmount.seconds(1)
    /// `SoftHangupRequest`'s `Cause` for a hangup by the channel driver (`AST_SOFTHANGUP_DEV`).
    static let softHangupByDriver = "1"

    /// Starts the periodic check. Call once, on the loop. It runs even when the node's timeout is
    /// off (`--rtp-timeout 0`), since a trunk may set its own.
    func startRTPTimeoutChecks() {
        let timeout = media.inactivityTimeout ?? .zero
        let interval = timeout > .zero ? min(Self.rtpTimeoutCheckInterval, timeout) : Self.rtpTimeoutCheckInterval
        scheduleRTPTimeoutCheck(timeout: timeout, interval: interval)
    }

    private func scheduleRTPTimeoutCheck(timeout: TimeAmount, interval: TimeAmount) {
        driver.timerQueue.schedule(in: interval, self) { engine in
            engine.reapInactiveChannels(timeout: timeout, at: NIODeadline.now().uptimeNanoseconds)
            engine.scheduleRTPTimeoutCheck(timeout: timeout, interval: interval)
        }
    }

    /// Hangs up every answered channel silent for its timeout at `now` (monotonic nanoseconds):
    /// the channel's own (`rtpTimeout`, from its trunk) or else the node's `timeout`; `.zero` = never.
    func reapInactiveChannels(timeout: TimeAmount, at now: UInt64) {
        var dead: [(CallChannel, UInt64)] = []
        for channel in channels.values where !channel.isGone {
            guard let media = channel.media else { continue }
            let idle = media.idleTime(at: now, counting: channel.isAnswered && !isOnHold(channel))
            let own = channel.rtpTimeout ?? timeout
            guard own > .zero else { continue }
            if idle >= UInt64(own.nanoseconds) { dead.append((channel, idle)) }
        }
        for (channel, idle) in dead where !channel.isGone {
            logger.notice(
                "Disconnecting channel for lack of audio RTP activity",
                metadata: ["channel": "\(channel.name)", "seconds": "\(idle / 1_000_000_000)"])
            emit(.channel("SoftHangupRequest", channel.snapshot, extra: [("Cause", Self.softHangupByDriver)]))
            hangup(channel, cause: .channelUnavailable, origin: .dialer)
        }
    }

    /// Whether `channel`'s call is on hold: its far end, or the far end it is bridged to, said it
    /// will not send (re-INVITE or SDP with a direction other than `sendrecv`).
    func isOnHold(_ channel: CallChannel) -> Bool {
        if Self.audioDirection(of: channel) != .sendrecv { return true }
        guard let bridge = channel.bridge, let peer = bridge.channels.first(where: { $0 !== channel }),
            let far = mediaEndpoint(of: peer), far !== channel
        else { return false }
        return Self.audioDirection(of: far) != .sendrecv
    }

    private static func audioDirection(of channel: CallChannel) -> SDPDirection {
        if channel.heldDirection != .sendrecv { return channel.heldDirection }
        return channel.sipLeg?.remoteSDP?.media.first(where: { $0.media == "audio" })?.direction ?? .sendrecv
    }
}
