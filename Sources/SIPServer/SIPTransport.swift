import SIP

/// What sends SIP messages for the transaction layer and the call driver: the node's sockets
/// (`SIPTransportHub`), or in a test anything that records what would be sent.
package protocol SIPTransport: Sendable {
    /// Sends `outbound`; `failed` runs (on an arbitrary thread) when the message could not be sent.
    func send(_ outbound: SIPOutbound, failed: (@Sendable (String) -> Void)?)
    /// `host:port` Centralino is reached at from `destination` (for Via and Contact).
    func localAddress(toward destination: SIPEndpoint) -> String
}

extension SIPTransport {
    package func send(_ outbound: SIPOutbound) {
        send(outbound, failed: nil)
    }
}
