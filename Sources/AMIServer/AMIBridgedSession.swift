import Foundation
import NIOCore
import NIOPosix

/// The client of an AMI session that arrives over another transport (the admin server's WebSocket):
/// its addresses (for the ACLs, the login lockout and the connection limits) and, when the upgrade
/// carried a valid API token, the login it starts with.
public struct AMIBridgedPeer: Sendable {
    /// A session logged in by an API token: the token's tenant, and the name its logs and events show.
    public struct TokenLogin: Sendable {
        public var tenant: UUID
        public var name: String
        public init(tenant: UUID, name: String) {
            self.tenant = tenant
            self.name = name
        }
    }

    public var remoteIP: String
    public var remotePort: Int
    public var localIP: String
    public var localPort: Int
    public var token: TokenLogin?

    public init(remoteIP: String, remotePort: Int, localIP: String, localPort: Int, token: TokenLogin? = nil) {
        self.remoteIP = remoteIP
        self.remotePort = remotePort
        self.localIP = localIP
        self.localPort = localPort
        self.token = token
    }
}

extension AMIServer {
    /// Kernel send buffer of each end of a bridged session's socket pair: what a WebSocket client that
    /// stops reading holds back here, before the session's write timeout applies as over TCP.
    static let bridgeSocketBuffer = 64 * 1024

    /// Opens an AMI session for a client of another transport: a connected pair of Unix sockets whose
    /// one end runs the normal AMI session (`AMISessionHandler`, every limit and protection of a TCP
    /// session) and whose other end is returned, carrying AMI's text protocol both ways. Closing the
    /// returned channel ends the session; the session closing ends the channel's inbound stream and
    /// completes `sessionClosed`.
    public func openBridgedSession(
        _ peer: AMIBridgedPeer
    ) async throws -> (channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>, sessionClosed: EventLoopFuture<Void>) {
        var descriptors: [CInt] = [-1, -1]
        #if canImport(Glibc)
        let type = CInt(SOCK_STREAM.rawValue)
        #else
        let type = SOCK_STREAM
        #endif
        guard socketpair(AF_UNIX, type, 0, &descriptors) == 0 else { throw IOError(errnoCode: errno, reason: "socketpair") }
        var size = CInt(Self.bridgeSocketBuffer)
        for descriptor in descriptors {
            _ = setsockopt(descriptor, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<CInt>.size))
        }
        let server = context
        let session: any Channel
        do {
            session = try await NIOPipeBootstrap(group: group)
                .channelOption(.writeBufferWaterMark, value: .init(low: 32 * 1024, high: 64 * 1024))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(AMISessionHandler(server: server, bridged: peer))
                    }
                }
                .takingOwnershipOfDescriptor(inputOutput: descriptors[0]).get()
        } catch {
            close(descriptors[1])
            throw error
        }
        do {
            let client = try await NIOPipeBootstrap(group: group)
                .takingOwnershipOfDescriptor(inputOutput: descriptors[1]) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
            return (client, session.closeFuture)
        } catch {
            session.close(promise: nil)
            throw error
        }
    }
}
