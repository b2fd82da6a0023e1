import Foundation
import PBX
import SIP
import SIPServer

/// What ending the calls at shutdown still waits for. Confined to the call loop.
final class CallShutdown {
    /// Set once shutdown began: new INVITEs get 503 from then on.
    var draining = false
    /// BYEs sent at shutdown that have no final response (and did not time out) yet.
    var unansweredByes = 0
}

/// Shutdown: every call ends the way the node ends it (BYE, CANCEL or a final response per leg).
extension CallEngine {
    /// Ends every call: BYE on each answered SIP leg (counted in `shutdown` until answered or timed
    /// out, so the SIP transports stay open for its retransmissions), then each channel hangs up as
    /// a system soft hangup (cause 16), which CANCELs our early INVITEs, answers early inbound ones with
    /// 487, and closes every channel's media leg.
    func endAllCalls(_ shutdown: CallShutdown) {
        shutdown.draining = true
        for leg in driver.legs.values where leg.state == .answered {
            shutdown.unansweredByes += 1
            driver.bye(leg) { shutdown.unansweredByes -= 1 }
            driver.finish(leg)
        }
        for channel in Array(channels.values) where !channel.isGone {
            hangup(channel, cause: .normalClearing, origin: .dialplan)
        }
    }

    /// Whether every leg is gone, every shutdown BYE answered (or given up on) and no media leg is
    /// being opened any more (an opening that ends now closes its leg at once: its channel is gone).
    func callsDrained(_ shutdown: CallShutdown) -> Bool {
        shutdown.unansweredByes <= 0 && driver.legs.isEmpty && !media.isOpening
    }
}
