import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SIP

#if canImport(Glibc)
import Glibc
#endif

/// The sockets SIP messages leave through: the UDP sockets, and each TCP connection by its remote
/// address, so requests to a contact go out on the connection its REGISTER arrived on.
///
/// SIP over UDP listens on one socket per event loop of the group, all bound to the same address
/// with `SO_REUSEPORT`: the kernel spreads datagrams over them by the hash of their source and
/// destination address and port, so one peer's messages always reach the same socket, in order,
/// while different peers are parsed on different loops. (Linux lets only sockets of the same user
/// share a port this way.)
///
/// UDP datagrams are sent with `sendto` on a duplicate of the listening socket's descriptor, not
/// through the NIO channel: NIO closes a datagram channel on any write error other than
/// `EMSGSIZE`/`EHOSTUNREACH`, so one send refused by the kernel (`EPERM` from a firewall output
/// rule, `EACCES` for a broadcast address, `ENETUNREACH`) would silence the listener for every
/// peer. Here a failed send fails only that message: it is logged, counted and reported to the
/// sender's `failed` callback (a client transaction treats it as a 503, RFC 3261 §8.1.3.1).
package final class SIPTransportHub: SIPTransport {
    private let udp = NIOLockedValueBox<[any Channel]>([])
    /// A duplicate of each UDP socket's descriptor, for `sendto`, by the loop its socket runs on:
    /// a loop sends through its own socket, under a lock no other loop takes.
    private let udpSenders = NIOLockedValueBox<[UDPSender]>([])
    private let tcp = NIOLockedValueBox<[String: any Channel]>([:])
    private let localByDestination = NIOLockedValueBox<[String: String]>([:])
    /// Where the SIP over TLS listener is bound (host, port), nil without one.
    private let tlsBound = NIOLockedValueBox<(host: String, port: Int)?>(nil)
    private let sendErrorCount = NIOLockedValueBox<Int>(0)
    let boundHost: String
    let boundPort: Int
    let logger: Logger

    init(boundHost: String, boundPort: Int, logger: Logger = Logger(label: "centralino.sip")) {
        self.boundHost = boundHost
        self.boundPort = boundPort
        self.logger = logger
    }

    /// Messages the kernel or a connection refused to send since start (served at `/metrics`).
    var sendErrors: Int { sendErrorCount.withLockedValue { $0 } }

    /// A duplicate of one UDP socket's descriptor (nil once closed) and the loop of that socket.
    private final class UDPSender: Sendable {
        let loop: ObjectIdentifier
        let fd: NIOLockedValueBox<CInt?>

        init(loop: any EventLoop, fd: CInt) {
            self.loop = ObjectIdentifier(loop)
            self.fd = NIOLockedValueBox(fd)
        }
    }

    /// Binds the UDP listener at `host:port`, one socket per loop of `group` (`SO_REUSEPORT`, see
    /// the type's note), each with a socket of our own (so that sends can bypass the channel) and
    /// returns their channels, the first one bound first (with port 0, the others take its port).
    /// `receiveBufferSize` bytes of `SO_RCVBUF` per socket (0: the kernel's default).
    func bindUDP(
        group: any EventLoopGroup, host: String, port: Int, receiveBufferSize: Int = 0,
        initializer: @escaping @Sendable (any Channel) -> EventLoopFuture<Void>
    ) async throws -> [any Channel] {
        var loops: [any EventLoop] = Array(group.makeIterator())
        if loops.isEmpty { loops = [group.next()] }
        var address = try SocketAddress.makeAddressResolvingHost(host, port: port)
        var channels: [any Channel] = []
        var senders: [UDPSender] = []
        do {
            for loop in loops {
                let (channel, sender) = try await bindUDPSocket(
                    on: loop, address: address, sharing: loops.count > 1, receiveBufferSize: receiveBufferSize,
                    initializer: initializer)
                channels.append(channel)
                senders.append(UDPSender(loop: loop, fd: sender))
                if let bound = channel.localAddress?.port, address.port != bound { address.port = bound }
            }
        } catch {
            for channel in channels { try? await channel.close() }
            for sender in senders { sender.fd.withLockedValue { if let fd = $0 { close(fd) } } }
            throw error
        }
        udp.withLockedValue { $0 = channels }
        udpSenders.withLockedValue { $0 = senders }
        return channels
    }

    /// One UDP socket bound at `address` on `loop` (with `SO_REUSEPORT` when `sharing`) and a
    /// duplicate of its descriptor for `sendto`.
    private func bindUDPSocket(
        on loop: any EventLoop, address: SocketAddress, sharing: Bool, receiveBufferSize: Int,
        initializer: @escaping @Sendable (any Channel) -> EventLoopFuture<Void>
    ) async throws -> (any Channel, CInt) {
        let fd = socket(Int32(address.protocol.rawValue), Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw IOError(errnoCode: errno, reason: "socket") }
        // No SO_REUSEADDR: on Linux it would let another socket bind the same port and take our requests.
        if sharing {
            var one: CInt = 1
            guard setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, socklen_t(MemoryLayout<CInt>.size)) == 0 else {
                let code = errno
                close(fd)
                throw IOError(errnoCode: code, reason: "setsockopt SO_REUSEPORT (SIP over UDP)")
            }
        }
        if receiveBufferSize > 0 {
            // The kernel caps it at net.core.rmem_max without failing.
            var size = CInt(clamping: receiveBufferSize)
            guard setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<CInt>.size)) == 0 else {
                let code = errno
                close(fd)
                throw IOError(errnoCode: code, reason: "setsockopt SO_RCVBUF (SIP over UDP)")
            }
        }
        let bound = address.withSockAddr { Glibc.bind(fd, $0, socklen_t($1)) }
        guard bound == 0 else {
            let code = errno
            close(fd)
            throw IOError(errnoCode: code, reason: "bind (SIP over UDP)")
        }
        let sender = dup(fd)
        guard sender >= 0 else {
            let code = errno
            close(fd)
            throw IOError(errnoCode: code, reason: "dup")
        }
        do {
            let channel = try await DatagramBootstrap(group: loop)
                .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: SIPLimits.maximumMessageSize))
                .channelInitializer(initializer)
                .withBoundSocket(fd).get()
            return (channel, sender)
        } catch {
            close(sender)
            throw error
        }
    }

    /// Records the TLS listener's address: requests sent over TLS name it in Via and Contact.
    func setTLSBound(host: String, port: Int) { tlsBound.withLockedValue { $0 = (host, port) } }

    func addTCP(_ channel: any Channel, remote: String) { tcp.withLockedValue { $0[remote] = channel } }
    func removeTCP(remote: String) { tcp.withLockedValue { _ = $0.removeValue(forKey: remote) } }

    /// Sends `outbound`; `failed` runs (on an arbitrary thread) when the message could not be sent.
    package func send(_ outbound: SIPOutbound, failed: (@Sendable (String) -> Void)?) {
        let destination = outbound.destination
        let bytes = outbound.bytes
        switch destination.transport {
        case .udp:
            guard let delay = outbound.delay else {
                sendDatagram(bytes, to: destination, failed: failed)
                return
            }
            guard let loop = udp.withLockedValue({ $0.first })?.eventLoop else { return }
            loop.scheduleTask(in: delay) { self.sendDatagram(bytes, to: destination, failed: failed) }
        case .tcp, .tls:
            guard let channel = tcp.withLockedValue({ $0[destination.connectionKey] }) else {
                fail(destination, reason: "no connection", failed: failed)
                return
            }
            let write: @Sendable () -> Void = {
                let promise = channel.eventLoop.makePromise(of: Void.self)
                promise.futureResult.whenFailure { error in self.fail(destination, reason: "\(error)", failed: failed) }
                channel.writeAndFlush(bytes, promise: promise)
            }
            if let delay = outbound.delay {
                channel.eventLoop.scheduleTask(in: delay, write)
            } else if channel.eventLoop.inEventLoop {
                write()
            } else {
                channel.eventLoop.execute(write)
            }
        }
    }

    /// One `sendto` on the listener's socket; never blocks (`MSG_DONTWAIT`): a full send buffer is a
    /// lost datagram, which retransmission covers.
    private func sendDatagram(_ bytes: ByteBuffer, to destination: SIPEndpoint, failed: (@Sendable (String) -> Void)?) {
        let senders = udpSenders.withLockedValue { $0 }
        let current = MultiThreadedEventLoopGroup.currentEventLoop.map { ObjectIdentifier($0) }
        guard let sender = senders.first(where: { $0.loop == current }) ?? senders.first else { return }
        let result: Int? = sender.fd.withLockedValue { fd in
            guard let fd else { return nil }
            return bytes.withUnsafeReadableBytes { buffer in
                destination.address.withSockAddr { address, length in
                    sendto(fd, buffer.baseAddress, buffer.count, Int32(MSG_DONTWAIT | MSG_NOSIGNAL), address, socklen_t(length))
                }
            }
        }
        guard let result else { return }
        if result < 0 {
            let code = errno
            fail(destination, reason: String(cString: strerror(code)), failed: failed)
        }
    }

    private func fail(_ destination: SIPEndpoint, reason: String, failed: (@Sendable (String) -> Void)?) {
        sendErrorCount.withLockedValue { $0 += 1 }
        logger.warning("SIP send failed", metadata: ["to": "\(destination)", "error": "\(reason)"])
        failed?(reason)
    }

    func closeAll() {
        for channel in udp.withLockedValue({ $0 }) { channel.close(promise: nil) }
        for sender in udpSenders.withLockedValue({ $0 }) {
            sender.fd.withLockedValue { fd in
                if let descriptor = fd { close(descriptor) }
                fd = nil
            }
        }
        for channel in tcp.withLockedValue({ Array($0.values) }) { channel.close(promise: nil) }
    }

    /// `host:port` Centralino is reached at from `destination`: the bound address, or, when bound to
    /// a wildcard, the local address the kernel would route from (found once per destination).
    /// Over TLS: the TLS listener's address.
    package func localAddress(toward destination: SIPEndpoint) -> String {
        var (boundHost, boundPort) = (self.boundHost, self.boundPort)
        if destination.transport == .tls, let tls = tlsBound.withLockedValue({ $0 }) { (boundHost, boundPort) = tls }
        if boundHost != "0.0.0.0", boundHost != "::" {
            return boundHost.hasColon ? "[\(boundHost)]:\(boundPort)" : "\(boundHost):\(boundPort)"
        }
        let host: String
        if let known = localByDestination.withLockedValue({ $0[destination.ip] }) {
            host = known
        } else {
            host = Self.routeSource(toward: destination.address) ?? "127.0.0.1"
            localByDestination.withLockedValue { $0[destination.ip] = host }
        }
        return host.hasColon ? "[\(host)]:\(boundPort)" : "\(host):\(boundPort)"
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
            self = withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { SocketAddress($0.pointee, host: "") }
            }
        default:
            throw SocketAddressError.unsupported
        }
    }
}
