import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import XCTest

@testable import Media

/// A fake phone for socket tests: one UDP socket on 127.0.0.1 that records what it receives.
final class TestPhone: Sendable {
    let channel: any Channel
    private let inbox: NIOLockedValueBox<[Received]>

    struct Received: Sendable {
        var data: ByteBuffer
        var source: SocketAddress
        var arrival: NIODeadline
    }

    private final class Recorder: ChannelInboundHandler {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        let inbox: NIOLockedValueBox<[Received]>
        init(inbox: NIOLockedValueBox<[Received]>) { self.inbox = inbox }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let envelope = unwrapInboundIn(data)
            let received = Received(data: envelope.data, source: envelope.remoteAddress, arrival: .now())
            inbox.withLockedValue { $0.append(received) }
        }
    }

    private init(channel: any Channel, inbox: NIOLockedValueBox<[Received]>) {
        self.channel = channel
        self.inbox = inbox
    }

    static func start(group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> TestPhone {
        let inbox = NIOLockedValueBox<[Received]>([])
        let channel = try await DatagramBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Recorder(inbox: inbox))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return TestPhone(channel: channel, inbox: inbox)
    }

    var address: SocketAddress { channel.localAddress! }

    func send(_ data: ByteBuffer, to destination: SocketAddress) async throws {
        try await channel.writeAndFlush(AddressedEnvelope(remoteAddress: destination, data: data)).get()
    }

    var received: [Received] { inbox.withLockedValue { $0 } }

    /// Waits until at least `count` datagrams arrived (or the timeout passed) and returns them all.
    @discardableResult
    func waitFor(_ count: Int, timeout: TimeAmount = .seconds(3)) async throws -> [Received] {
        let deadline = NIODeadline.now() + timeout
        while NIODeadline.now() < deadline {
            let current = received
            if current.count >= count { return current }
            try await Task.sleep(nanoseconds: 2_000_000)
        }
        return received
    }

    func close() async {
        try? await channel.close()
    }

    /// An RTP packet with `payload`.
    static func rtp(sequence: UInt16, payloadType: UInt8 = 0, ssrc: UInt32 = 0x1111, payload: [UInt8]) -> ByteBuffer {
        var buffer = ByteBuffer()
        RTPHeader(payloadType: payloadType, sequenceNumber: sequence, timestamp: UInt32(sequence) * 160, ssrc: ssrc)
            .write(to: &buffer)
        buffer.writeBytes(payload)
        return buffer
    }

    /// A minimal RTCP receiver report (8 bytes) with SSRC `ssrc`.
    static func rtcpReceiverReport(ssrc: UInt32) -> ByteBuffer {
        var buffer = ByteBuffer(bytes: [0x80, 201, 0x00, 0x01])
        buffer.writeInteger(ssrc)
        return buffer
    }
}

extension MediaLeg {
    var rtpAddress: SocketAddress { try! SocketAddress(ipAddress: "127.0.0.1", port: localRTPPort) }
    var rtcpAddress: SocketAddress { try! SocketAddress(ipAddress: "127.0.0.1", port: localRTCPPort) }
}

/// Polls `condition` every millisecond for up to 2 s; returns whether it became true.
@discardableResult
func eventually(_ condition: () -> Bool) async throws -> Bool {
    let deadline = NIODeadline.now() + .seconds(2)
    while !condition() {
        guard NIODeadline.now() < deadline else { return false }
        try await Task.sleep(nanoseconds: 1_000_000)
    }
    return true
}
