import NIOCore
import PBX
import SIPServer

/// Trunk host names are resolved off the call loop (RFC 3263 SRV, then A/AAAA on NIO's thread
/// pool, see `SIPHostResolver`); a name that does not resolve fails that one target.
extension CallEngine {
    func resolveTrunkHost(_ channel: CallChannel, caller: CallChannel) {
        guard let trunkHost = channel.pendingOutbound?.trunkHost else { return }
        let bound = NIOLoopBound((self, channel, caller), eventLoop: loop)
        sip.resolver.resolve(host: trunkHost.host, port: trunkHost.port, transport: trunkHost.transport, on: loop).whenComplete { result in
            let (engine, channel, caller) = bound.value
            guard !channel.isGone, channel.pendingOutbound != nil else { return }
            switch result {
            case .success(let endpoint):
                channel.pendingOutbound?.destination = endpoint
                engine.placeOutbound(channel, caller: caller)
            case .failure(let error):
                // As chan_pjsip when a trunk's host does not resolve: the channel is unavailable
                // (DIALSTATUS CHANUNAVAIL); the caller's dialplan goes on.
                engine.logger.notice(
                    "trunk host not resolved: dialled channel unavailable",
                    metadata: ["host": "\(trunkHost.host)", "error": "\(error)"])
                engine.hangup(channel, cause: .noRouteDestination, origin: .dialer)
            }
        }
    }
}
