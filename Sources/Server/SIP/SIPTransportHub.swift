import Foundation
import NIOConcurrencyHelpers
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// The sockets SIP messages leave through: the UDP socket, and each TCP connection by its remote
/// address, so requests to a contact go out on the connection its REGISTER arrived on.
final class SIPTransportHub: Sendable {
    private let udp = NIOLockedValueBox<(any Channel)?>(nil)
    private let tcp = NIOLockedValueBox<[String: any Channel]>([:])
    private let localByDestination = NIOLockedValueBox<[String: String]>([:])
    let boundHost: String
    let boundPort: Int

    init(boundHost: String, boundPort: Int) {
        self.boundHost = boundHost
        self.boundPort = boundPort
    }

    func setUDP(_ channel: any Channel) { udp.withLockedValue { $0 = channel } }
    func addTCP(_ channel: any Channel, remote: String) { tcp.withLockedValue { $0[remote] = channel } }
    func removeTCP(remote: String) { tcp.withLockedValue { _ = $0.removeValue(forKey: remote) } }

    func send(_ outbound: SIPOutbound) {
        let channel: (any Channel)?
        switch outbound.destination.transport {
        case .udp: channel = udp.withLockedValue { $0 }
        case .tcp: channel = tcp.withLockedValue { $0[outbound.destination.hostPort] }
        }
        guard let channel else { return }
        let destination = outbound.destination
        let bytes = outbound.bytes
        let write: @Sendable () -> Void = {
            switch destination.transport {
            case .udp: channel.writeAndFlush(AddressedEnvelope(remoteAddress: destination.address, data: bytes), promise: nil)
            case .tcp: channel.writeAndFlush(bytes, promise: nil)
            }
        }
        if let delay = outbound.delay {
            channel.eventLoop.scheduleTask(in: delay, write)
        } else if channel.eventLoop.inEventLoop {
            write()
        } else {
            channel.eventLoop.execute(write)
        }
    }

    func closeAll() {
        udp.withLockedValue { $0?.close(promise: nil) }
        for channel in tcp.withLockedValue({ Array($0.values) }) { channel.close(promise: nil) }
    }

    /// `host:port` Centralino is reached at from `destination`: the bound address, or, when bound to
    /// a wildcard, the local address the kernel would route from (found once per destination).
    func localAddress(toward destination: SIPEndpoint) -> String {
        if boundHost != "0.0.0.0", boundHost != "::" {
            return boundHost.contains(":") ? "[\(boundHost)]:\(boundPort)" : "\(boundHost):\(boundPort)"
        }
        if let known = localByDestination.withLockedValue({ $0[destination.ip] }) { return known }
        let host = Self.routeSource(toward: destination.address) ?? "127.0.0.1"
        let text = host.contains(":") ? "[\(host)]:\(boundPort)" : "\(host):\(boundPort)"
        localByDestination.withLockedValue { $0[destination.ip] = text }
        return text
    }

    /// The source address the kernel picks for `address` (a connected UDP socket sends nothing).
    static func routeSource(toward address: SocketAddress) -> String? {
        let fd = socket(Int32(address.protocol.rawValue), Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        let connected = address.withSockAddr { connect(fd, $0, socklen_t($1)) } == 0
        guard connected else { return nil }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0, let local = try? SocketAddress(storage) else { return nil }
        return local.ipAddress
    }
}

extension SocketAddress {
    fileprivate init(_ storage: sockaddr_storage) throws {
        var storage = storage
        switch Int32(storage.ss_family) {
        case AF_INET:
            self = withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { SocketAddress($0.pointee, host: "") } }
        case AF_INET6:
            self = withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { SocketAddress($0.pointee, host: "") } }
        default:
            throw SocketAddressError.unsupported
        }
    }
}
