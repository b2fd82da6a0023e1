import NIOCore
import NIOPosix
import XCTest

@testable import Media

#if canImport(Glibc)
import Glibc
#endif

/// The engine's pool of closed legs' sockets (`socketPoolLimit`): reused sockets carry nothing of
/// the previous call, parked ports never make the range look exhausted, and nothing stays open.
final class MediaSocketPoolTests: XCTestCase {
    private let group = MultiThreadedEventLoopGroup.singleton

    func testParkedSocketsNeverPassThePreviousCallsPacketsToTheNextLeg() async throws {
        let loop = group.next()
        let engine = try MediaEngine(
            group: group, portRange: 28400...28403, socketPoolLimit: 4, socketPoolIdle: .zero,
            socketPoolMinimumChoice: 1)
        let oldPhone = try await TestPhone.start()
        let oldLeg = try await engine.openLeg(on: loop)
        let otherLeg = try await engine.openLeg(on: loop)
        let ports = Set([oldLeg.localRTPPort, otherLeg.localRTPPort])
        oldLeg.setRemote(rtp: oldPhone.address, rtcp: nil)
        try engine.bridge(oldLeg, otherLeg)
        await oldLeg.close()
        await otherLeg.close()
        XCTAssertEqual(engine.parkedPortPairs, 2)
        XCTAssertEqual(engine.portPairsInUse, 0)
        XCTAssertEqual(engine.openLegCount, 0)

        // The old far end keeps sending to the parked ports: read and dropped by the parked sockets.
        for sequence in 0..<5 {
            try await oldPhone.send(TestPhone.rtp(sequence: UInt16(sequence), payload: [1, 2, 3]), to: oldLeg.rtpAddress)
        }
        try await Task.sleep(nanoseconds: 100_000_000)

        // More arrive while the loop is busy, just before the next legs take the sockets: they sit
        // in the sockets' receive buffers when the legs open, and must be emptied, not read later.
        let stale = TestPhone.rtp(sequence: 99, payload: [9, 9, 9])
        let newLegs = try await loop.flatSubmit {
            for port in ports {
                Self.sendRaw(stale, to: port)
                Self.sendRaw(TestPhone.rtcpReceiverReport(ssrc: 0x1111), to: port + 1)
            }
            usleep(20_000)  // loopback delivery is synchronous; this only makes sure
            let first = engine.openLegFuture(on: loop)
            let second = engine.openLegFuture(on: loop)
            return first.and(second)
        }.get()
        XCTAssertEqual(Set([newLegs.0.localRTPPort, newLegs.1.localRTPPort]), ports, "the parked sockets were reused")
        XCTAssertEqual(engine.reusedSocketPairs, 2)
        XCTAssertEqual(engine.parkedPortPairs, 0)

        let phoneA = try await TestPhone.start()
        let phoneB = try await TestPhone.start()
        newLegs.0.setRemote(rtp: phoneA.address, rtcp: nil)
        newLegs.1.setRemote(rtp: phoneB.address, rtcp: nil)
        try engine.bridge(newLegs.0, newLegs.1)
        try await Task.sleep(nanoseconds: 200_000_000)
        XCTAssertEqual(newLegs.0.statistics, MediaLegStatistics(), "a packet of the previous call reached the new leg")
        XCTAssertEqual(newLegs.1.statistics, MediaLegStatistics(), "a packet of the previous call reached the new leg")
        XCTAssertTrue(phoneA.received.isEmpty && phoneB.received.isEmpty)

        // The reused sockets work for the new call.
        let fresh = TestPhone.rtp(sequence: 1, ssrc: 0x2222, payload: [4, 5, 6])
        try await phoneA.send(fresh, to: newLegs.0.rtpAddress)
        let atB = try await phoneB.waitFor(1)
        XCTAssertEqual(atB.map(\.data), [fresh])
        XCTAssertEqual(atB.first?.source, newLegs.1.rtpAddress)
        XCTAssertEqual(newLegs.0.statistics.rtpReceived, 1)

        await engine.closeAllLegs()
        XCTAssertEqual(engine.parkedPortPairs, 0)
        XCTAssertEqual(engine.portPairsInUse, 0)
        for port in ports { try await assertBindable(port) }
        for phone in [oldPhone, phoneA, phoneB] { await phone.close() }
    }

    func testParkedPortsAreTakenBeforeTheRangeIsExhausted() async throws {
        // One pair, parked for a minute: the next leg takes it at once rather than fail.
        let engine = try MediaEngine(
            group: group, portRange: 28410...28411, socketPoolLimit: 4, socketPoolIdle: .seconds(60),
            socketPoolMaximumAge: .seconds(60))
        let first = try await engine.openLeg()
        await first.close()
        XCTAssertEqual(engine.parkedPortPairs, 1)
        let second = try await engine.openLeg()
        XCTAssertEqual(second.localRTPPort, 28410)
        XCTAssertEqual(engine.reusedSocketPairs, 1)
        do {
            _ = try await engine.openLeg()
            XCTFail("the range is exhausted")
        } catch let error as MediaError {
            XCTAssertEqual(error.code, .portRangeExhausted)
        }
        await engine.closeAllLegs()
        XCTAssertEqual(engine.parkedPortPairs, 0)
        XCTAssertEqual(engine.openLegCount, 0)
        try await assertBindable(28410)
    }

    func testYoungParkedSocketsWaitAndAFullPoolCloses() async throws {
        let engine = try MediaEngine(
            group: group, portRange: 28420...28427, socketPoolLimit: 1, socketPoolIdle: .seconds(60),
            socketPoolMinimumChoice: 1, socketPoolMaximumAge: .seconds(60))
        let a = try await engine.openLeg()
        let b = try await engine.openLeg()
        await a.close()
        await b.close()
        XCTAssertEqual(engine.parkedPortPairs, 1, "the pool holds one pair; the other was closed")
        XCTAssertEqual(engine.portPairsInUse, 0)
        // The parked pair is not a minute old: a new leg binds a free pair instead.
        let c = try await engine.openLeg()
        XCTAssertEqual(engine.reusedSocketPairs, 0)
        XCTAssertEqual(engine.parkedPortPairs, 1)
        let parked = [a.localRTPPort, b.localRTPPort].filter { $0 != c.localRTPPort }
        var bindable = 0
        for port in parked where (try? await DatagramBootstrap(group: group).bind(host: "127.0.0.1", port: port).get().close()) != nil {
            bindable += 1
        }
        XCTAssertEqual(bindable, parked.count - 1, "exactly the parked pair's port is still held")
        await engine.closeAllLegs()
        XCTAssertEqual(engine.parkedPortPairs, 0)
        for port in [a.localRTPPort, b.localRTPPort, c.localRTPPort] { try await assertBindable(port) }
    }

    func testAQuietNodeBindsFreshPairsAndClosesOldParkedOnes() async throws {
        // Fewer waiting pairs than the minimum choice: a new leg binds a random free pair (its ports as
        // unpredictable as without the pool); the parked pairs are closed after the maximum age.
        let engine = try MediaEngine(
            group: group, portRange: 28440...28479, socketPoolLimit: 8, socketPoolIdle: .zero, socketPoolMinimumChoice: 4,
            socketPoolMaximumAge: .milliseconds(300))
        var legs: [MediaLeg] = []
        for _ in 0..<3 { legs.append(try await engine.openLeg()) }
        for leg in legs { await leg.close() }
        XCTAssertEqual(engine.parkedPortPairs, 3)
        let fresh = try await engine.openLeg()
        XCTAssertEqual(engine.reusedSocketPairs, 0, "3 waiting pairs are fewer than the minimum choice of 4")
        await fresh.close()
        XCTAssertEqual(engine.parkedPortPairs, 4)
        let reused = try await engine.openLeg()
        XCTAssertEqual(engine.reusedSocketPairs, 1)
        XCTAssertTrue((legs + [fresh]).map(\.localRTPPort).contains(reused.localRTPPort))
        await reused.close()
        // The sweep takes the pairs out of the pool first; their ports are free once their sockets closed.
        let swept = try await eventually { engine.parkedPortPairs == 0 && engine.portPairsInUse == 0 }
        XCTAssertTrue(swept, "parked pairs older than the maximum age are closed and their ports freed")
        XCTAssertEqual(engine.portPairsInUse, 0)
        for port in (legs + [fresh, reused]).map(\.localRTPPort) { try await assertBindable(port) }
    }

    /// Sends `buffer` to 127.0.0.1:`port` from a plain socket, synchronously.
    private static func sendRaw(_ buffer: ByteBuffer, to port: Int) {
        let descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bytes = Array(buffer.readableBytesView)
        _ = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(descriptor, bytes, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
    }

    private func assertBindable(_ port: Int, file: StaticString = #filePath, line: UInt = #line) async throws {
        do {
            try await DatagramBootstrap(group: group).bind(host: "127.0.0.1", port: port).get().close()
        } catch {
            XCTFail("port \(port) is still held: \(error)", file: file, line: line)
        }
    }
}
