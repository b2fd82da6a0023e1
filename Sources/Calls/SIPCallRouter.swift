import Foundation
import SIP
import SIPServer

/// The SIP stack's dialog handler when the engine is sharded: hands each request and response to
/// the shard it belongs to (`CallShardMap`: our marker in a response's Via branch or a request's
/// To tag, else the tenant of the caller's domain, else shard 0). Called from any thread; the
/// shard hops onto its own loop.
struct SIPCallRouter: SIPDialogHandler {
    let map: CallShardMap
    /// `shards[i]` is shard `i`.
    let shards: [any SIPDialogHandler]
    let directory: SIPDirectory

    func receiveRequest(_ request: SIPRequest, from source: SIPEndpoint) {
        shards[map.shard(ofRequest: request, directory: directory)].receiveRequest(request, from: source)
    }

    func receiveResponse(_ response: SIPResponse) {
        shards[map.shard(ofResponse: response)].receiveResponse(response)
    }
}
