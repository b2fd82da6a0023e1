import AMIServer
import Admin
import NIOCore

/// `/api/v1/ami/ws`: WebSocket clients get AMI sessions of this node's AMI server.
struct AMIWebSocketOpener: AMISessionOpener {
    let ami: AMIServer

    func openSession(
        _ client: AMIWebSocketClient
    ) async throws -> (channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>, sessionClosed: EventLoopFuture<Void>) {
        try await ami.openBridgedSession(
            AMIBridgedPeer(
                remoteIP: client.remoteIP, remotePort: client.remotePort, localIP: client.localIP, localPort: client.localPort,
                token: client.tokenTenant.map { AMIBridgedPeer.TokenLogin(tenant: $0, name: client.tokenName) }))
    }
}

extension Serve {
    /// The WebSocket AMI endpoint's limits, nil when `--ami-ws-max-sessions 0` turns it off.
    func amiWebSocketSettings(_ ami: AMIServer) throws -> AMIWebSocketSettings? {
        let sessions = try EnvironmentOption.resolveInt(
            amiWsMaxSessions, "CENTRALINO_AMI_WS_MAX_SESSIONS", default: AMIWebSocketSettings.defaultMaximumSessions)
        let bytes = try EnvironmentOption.resolveInt(
            amiWsMaxMessageBytes, "CENTRALINO_AMI_WS_MAX_MESSAGE_BYTES", default: AMIWebSocketSettings.defaultMaximumMessageSize)
        guard sessions >= 0, (1024...(1 << 20)).contains(bytes) else {
            throw CommandFailure("--ami-ws-max-sessions must be 0 or more, --ami-ws-max-message-bytes 1024 to 1048576")
        }
        guard sessions > 0 else { return nil }
        return AMIWebSocketSettings(opener: AMIWebSocketOpener(ami: ami), maximumMessageSize: bytes, maximumSessions: sessions)
    }
}
