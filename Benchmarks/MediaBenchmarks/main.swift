// Relay throughput through one bridged pair of legs on loopback.
//
//   swift run -c release MediaBenchmarks [seconds] [window]
//
// Two fake phones (on one event loop) bounce `window` RTP packets through the bridge: phone A
// sends to leg A, leg B relays to phone B, phone B sends each packet back to leg B, leg A relays
// it to phone A, and so on. The legs run on a second event loop. Prints relayed packets per
// second (both directions together) from the legs' own counters.
import Media
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

let arguments = CommandLine.arguments
let seconds = arguments.count > 1 ? Int(arguments[1]) ?? 5 : 5
let window = arguments.count > 2 ? Int(arguments[2]) ?? 64 : 64

/// A phone that sends every packet it receives back to its leg (the "echo" that keeps packets
/// circulating), flushing once per read burst.
final class EchoPhone: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let leg: SocketAddress
    let received: NIOLockedValueBox<Int>
    private var count = 0

    init(leg: SocketAddress, received: NIOLockedValueBox<Int>) {
        self.leg = leg
        self.received = received
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        count += 1
        context.write(wrapOutboundOut(AddressedEnvelope(remoteAddress: leg, data: envelope.data)), promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        received.withLockedValue { $0 += count }
        count = 0
        context.flush()
    }

    typealias OutboundOut = AddressedEnvelope<ByteBuffer>
}

func packet(_ sequence: Int) -> ByteBuffer {
    var buffer = ByteBuffer()
    RTPHeader(
        payloadType: 0, sequenceNumber: UInt16(truncatingIfNeeded: sequence), timestamp: UInt32(sequence) * 160,
        ssrc: 0x5EED
    ).write(to: &buffer)
    buffer.writeBytes([UInt8](repeating: 0xFF, count: 160))
    return buffer
}

let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
let loops = Array(group.makeIterator())
let phoneLoop = loops[0]
let legLoop = loops[1]
let engine = try MediaEngine(group: group, bindHost: "127.0.0.1", portRange: 24000...24099)
let legA = try await engine.openLeg(on: legLoop)
let legB = try await engine.openLeg(colocatedWith: legA)
let local = { (port: Int) in try! SocketAddress(ipAddress: "127.0.0.1", port: port) }

func startPhone(towards leg: MediaLeg, received: NIOLockedValueBox<Int>) async throws -> any Channel {
    try await DatagramBootstrap(group: phoneLoop)
        .channelOption(.maxMessagesPerRead, value: 16)
        .channelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(EchoPhone(leg: local(leg.localRTPPort), received: received))
            }
        }
        .bind(host: "127.0.0.1", port: 0).get()
}

let receivedA = NIOLockedValueBox(0)
let receivedB = NIOLockedValueBox(0)
let phoneA = try await startPhone(towards: legA, received: receivedA)
let phoneB = try await startPhone(towards: legB, received: receivedB)
legA.setRemote(rtp: phoneA.localAddress, rtcp: nil)
legB.setRemote(rtp: phoneB.localAddress, rtcp: nil)
try engine.bridge(legA, legB)

// Inject the window, and top it up whenever progress stalls (lost packets).
let lastProgress = NIOLockedValueBox(0)
let injector = phoneLoop.scheduleRepeatedTask(initialDelay: .zero, delay: .milliseconds(20)) { _ in
    let total = receivedA.withLockedValue { $0 } + receivedB.withLockedValue { $0 }
    let stalled = lastProgress.withLockedValue { last in
        defer { last = total }
        return last == total
    }
    guard stalled else { return }
    for sequence in 0..<window {
        phoneA.write(AddressedEnvelope(remoteAddress: local(legA.localRTPPort), data: packet(sequence)), promise: nil)
    }
    phoneA.flush()
}

func relayed() -> UInt64 { legA.statistics.relayedSent + legB.statistics.relayedSent }
try await Task.sleep(nanoseconds: 1_000_000_000)  // warm-up
let startCount = relayed()
let start = NIODeadline.now()
try await Task.sleep(nanoseconds: UInt64(seconds) * 1_000_000_000)
let endCount = relayed()
let elapsed = Double((NIODeadline.now() - start).nanoseconds) / 1e9
injector.cancel()

let rate = Double(endCount - startCount) / elapsed
let dropped = legA.statistics.totalDropped + legB.statistics.totalDropped
print(
    "MediaBenchmarks: \(Int(rate)) relayed RTP packets/s through one bridged pair (172-byte packets, window \(window), \(seconds) s, both directions); legs dropped \(dropped)"
)
print("  = \(Int(rate / 50)) one-way G.711 20 ms streams, \(Int(rate / 100)) bidirectional calls' worth on one pair")

try await phoneA.close().get()
try await phoneB.close().get()
await engine.closeAllLegs()
try await group.shutdownGracefully()
