import Logging
import Media
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SIPServer
import XCTest

@testable import Calls

/// The call engine's media adapter over a real `MediaEngine` on two event loops, as `serve` places a
/// shard: the engine on one loop, its legs' sockets on the next (`CallService.loops(ofShard:among:)`).
final class MediaRelayAdapterTests: XCTestCase {
    func testLegsOpenOnTheMediaLoopAndCompleteOnTheEngineLoop() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        defer { try? group.syncShutdownGracefully() }
        let loops = Array(group.makeIterator())
        let (engineLoop, mediaLoop) = (loops[0], loops[1])
        let media = try MediaEngine(group: group, bindHost: "127.0.0.1", portRange: 43_000...43_199)
        let adapter = MediaRelayAdapter(engine: media, loop: engineLoop, mediaLoop: mediaLoop, logger: Logger(label: "test")) { _ in
            "127.0.0.1"
        }
        let destination = SIPEndpoint(transport: .udp, address: try SocketAddress(ipAddress: "127.0.0.1", port: 5060))
        let opened = NIOLockedValueBox<(onEngineLoop: Bool, port: MediaPortAdapter?)?>(nil)
        let done = expectation(description: "the leg opened")
        engineLoop.execute {
            adapter.openPort(toward: destination) { result in
                opened.withLockedValue { $0 = (engineLoop.inEventLoop, try? result.get() as? MediaPortAdapter) }
                done.fulfill()
            }
        }
        wait(for: [done], timeout: 10)
        let (onEngineLoop, port) = try XCTUnwrap(opened.withLockedValue { $0 })
        XCTAssertTrue(onEngineLoop, "the completion comes back to the engine's loop")
        let leg = try XCTUnwrap(port?.leg)
        XCTAssertTrue(leg.eventLoop === mediaLoop, "the leg's sockets live on the media loop")
        XCTAssertEqual(media.openLegCount, 1)
        try leg.closeFuture().wait()
        XCTAssertEqual(media.openLegCount, 0)
    }
}
