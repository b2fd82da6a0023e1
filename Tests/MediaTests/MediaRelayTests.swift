import NIOCore
import NIOPosix
import XCTest

@testable import Media

final class MediaRelayTests: XCTestCase {
    private func makeEngine(_ range: ClosedRange<Int>) throws -> MediaEngine {
        try MediaEngine(group: MultiThreadedEventLoopGroup.singleton, bindHost: "127.0.0.1", portRange: range)
    }

    func testBridgedLegsRelayBothWaysUnchanged() async throws {
        let engine = try makeEngine(21000...21099)
        let phoneA = try await TestPhone.start()
        let phoneB = try await TestPhone.start()
        let legA = try await engine.openLeg()
        let legB = try await engine.openLeg()  // possibly another loop: exercises the cross-loop path
        legA.setRemote(rtp: phoneA.address, rtcp: nil)
        legB.setRemote(rtp: phoneB.address, rtcp: nil)
        try engine.bridge(legA, legB)
        XCTAssertTrue(legA.bridgedLeg === legB)

        var sentByA: [ByteBuffer] = []
        for sequence in 0..<20 {
            let payloadType: UInt8 = sequence % 5 == 4 ? 101 : 0  // telephone-event passes through
            let packet = TestPhone.rtp(
                sequence: UInt16(sequence), payloadType: payloadType,
                payload: (0..<160).map { UInt8(truncatingIfNeeded: $0 &+ sequence) })
            sentByA.append(packet)
            try await phoneA.send(packet, to: legA.rtpAddress)
        }
        let atB = try await phoneB.waitFor(20)
        XCTAssertEqual(atB.map(\.data), sentByA)
        XCTAssertTrue(atB.allSatisfy { $0.source == legB.rtpAddress })  // relayed from B's own port

        let reply = TestPhone.rtp(sequence: 7, ssrc: 0x2222, payload: [1, 2, 3])
        try await phoneB.send(reply, to: legB.rtpAddress)
        let atA = try await phoneA.waitFor(1)
        XCTAssertEqual(atA.first?.data, reply)
        XCTAssertEqual(atA.first?.source, legA.rtpAddress)

        XCTAssertEqual(legA.statistics.rtpReceived, 20)
        XCTAssertEqual(legB.statistics.relayedSent, 20)
        XCTAssertEqual(legA.statistics.relayedSent, 1)
        XCTAssertEqual(legA.statistics.totalDropped + legB.statistics.totalDropped, 0)

        await legA.close()
        await legB.close()
        await phoneA.close()
        await phoneB.close()
        XCTAssertEqual(engine.portPairsInUse, 0)
    }

    func testLatchesToTheRealSourceOverTheSDPAddress() async throws {
        let engine = try makeEngine(21100...21199)
        let phoneA = try await TestPhone.start()
        let phoneB = try await TestPhone.start()
        let stranger = try await TestPhone.start()
        let legA = try await engine.openLeg()
        let legB = try await engine.openLeg(colocatedWith: legA)
        // A's SDP lies (a private address behind NAT, not confirmed by signalling); B's SDP is right.
        legA.setRemote(rtp: try SocketAddress(ipAddress: "127.0.0.1", port: 9), rtcp: nil, confirmed: false)
        legB.setRemote(rtp: phoneB.address, rtcp: nil)
        try engine.bridge(legA, legB)

        // Strict RTP: A's real source is learnt after a probation of 4 consecutive packets.
        for sequence in UInt16(1)...4 {
            try await phoneA.send(TestPhone.rtp(sequence: sequence, payload: [0xA0 + UInt8(sequence)]), to: legA.rtpAddress)
            try await Task.sleep(nanoseconds: 10_000_000)
        }
        try await phoneB.waitFor(1)
        XCTAssertEqual(legA.remoteRTPAddress, phoneA.address)
        XCTAssertTrue(legA.isRTPLatched)
        XCTAssertEqual(legA.statistics.droppedWrongSource, 3, "the probation packets are dropped")

        try await phoneB.send(TestPhone.rtp(sequence: 1, ssrc: 2, payload: [0xBB]), to: legB.rtpAddress)
        let atA = try await phoneA.waitFor(1)
        XCTAssertEqual(atA.count, 1, "B's audio reaches A at its real address, not the SDP one")

        // Once learnt, another source is ignored...
        try await stranger.send(TestPhone.rtp(sequence: 2, ssrc: 3, payload: [0xCC]), to: legA.rtpAddress)
        try await phoneA.send(TestPhone.rtp(sequence: 5, payload: [0xAD]), to: legA.rtpAddress)
        let atB = try await phoneB.waitFor(2)
        try await eventually { legA.statistics.droppedWrongSource == 4 }
        XCTAssertEqual(atB.map { $0.data.getBytes(at: 12, length: 1)! }, [[0xA4], [0xAD]])
        XCTAssertEqual(legA.statistics.droppedWrongSource, 4)

        // ... until a re-INVITE moves the stream to a confirmed address.
        legA.setRemote(rtp: stranger.address, rtcp: nil)
        try await stranger.send(TestPhone.rtp(sequence: 3, ssrc: 3, payload: [0xCD]), to: legA.rtpAddress)
        let atB2 = try await phoneB.waitFor(3)
        XCTAssertEqual(atB2.last?.data.getBytes(at: 12, length: 1), [0xCD])
        XCTAssertEqual(legA.remoteRTPAddress, stranger.address)

        for leg in [legA, legB] { await leg.close() }
        for phone in [phoneA, phoneB, stranger] { await phone.close() }
    }

    func testRTCPIsRelayedOnTheOddPorts() async throws {
        let engine = try makeEngine(21200...21299)
        let rtpA = try await TestPhone.start()
        let rtcpA = try await TestPhone.start()
        let rtpB = try await TestPhone.start()
        let rtcpB = try await TestPhone.start()
        let legA = try await engine.openLeg()
        let legB = try await engine.openLeg(colocatedWith: legA)
        XCTAssertEqual(legA.localRTCPPort, legA.localRTPPort + 1)
        XCTAssertEqual(legA.localRTPPort % 2, 0)
        legA.setRemote(rtp: rtpA.address, rtcp: rtcpA.address)
        legB.setRemote(rtp: rtpB.address, rtcp: rtcpB.address)
        try engine.bridge(legA, legB)

        let report = TestPhone.rtcpReceiverReport(ssrc: 0xABCD)
        try await rtcpA.send(report, to: legA.rtcpAddress)
        let atB = try await rtcpB.waitFor(1)
        XCTAssertEqual(atB.first?.data, report)
        XCTAssertEqual(atB.first?.source, legB.rtcpAddress)
        try await rtcpB.send(report, to: legB.rtcpAddress)
        let atA = try await rtcpA.waitFor(1)
        XCTAssertEqual(atA.count, 1)
        XCTAssertTrue(rtpA.received.isEmpty && rtpB.received.isEmpty)
        XCTAssertEqual(legA.statistics.rtcpReceived, 1)

        // New SDP keeps the learnt RTCP source until another is learnt (strict RTP re-learning).
        legB.setRemote(rtp: try SocketAddress(ipAddress: "127.0.0.1", port: 30000), rtcp: nil)
        XCTAssertEqual(legB.remoteRTCPAddress, rtcpB.address)

        // Without `a=rtcp`, RTCP goes to RTP port + 1.
        let legC = try await engine.openLeg()
        legC.setRemote(rtp: try SocketAddress(ipAddress: "127.0.0.1", port: 30000), rtcp: nil)
        XCTAssertEqual(legC.remoteRTCPAddress?.port, 30001)
        legC.setRemote(rtp: try SocketAddress(ipAddress: "0.0.0.0", port: 30000), rtcp: nil)
        XCTAssertNil(legC.remoteRTPAddress)

        for leg in [legA, legB, legC] { await leg.close() }
        for phone in [rtpA, rtcpA, rtpB, rtcpB] { await phone.close() }
    }

    func testUnbridgedLegsDropAndGarbageNeverHurts() async throws {
        let engine = try makeEngine(21300...21399)
        let phoneA = try await TestPhone.start()
        let phoneB = try await TestPhone.start()
        let legA = try await engine.openLeg()
        let legB = try await engine.openLeg(colocatedWith: legA)
        legA.setRemote(rtp: phoneA.address, rtcp: nil)
        legB.setRemote(rtp: phoneB.address, rtcp: nil)

        try await phoneA.send(TestPhone.rtp(sequence: 1, payload: [1]), to: legA.rtpAddress)
        try await eventually { legA.statistics.droppedNotBridged == 1 }
        let garbage: [[UInt8]] = [
            [], [0x80], [0x80, 0, 0, 1, 0, 0], [0x40] + [UInt8](repeating: 0, count: 20),
            [0x8F] + [UInt8](repeating: 0, count: 12), [UInt8](repeating: 0xFF, count: 1400),
        ]
        try engine.bridge(legA, legB)
        for bytes in garbage {
            try await phoneA.send(ByteBuffer(bytes: bytes), to: legA.rtpAddress)
            try await phoneA.send(ByteBuffer(bytes: bytes), to: legA.rtcpAddress)
        }
        try await phoneA.send(TestPhone.rtp(sequence: 2, payload: [2]), to: legA.rtpAddress)
        let atB = try await phoneB.waitFor(1)
        XCTAssertEqual(atB.map { $0.data.getInteger(at: 2, as: UInt16.self) }, [2])
        try await eventually { legA.statistics.droppedMalformed >= UInt64(garbage.count * 2 - 2) }  // RTCP's too
        let stats = legA.statistics
        XCTAssertEqual(stats.droppedNotBridged, 1)
        // Every datagram but possibly the empty ones (which the kernel may not report) is counted.
        XCTAssertGreaterThanOrEqual(stats.droppedMalformed, UInt64(garbage.count * 2 - 2))
        XCTAssertLessThanOrEqual(stats.droppedMalformed, UInt64(garbage.count * 2))

        engine.unbridge(legB)
        XCTAssertNil(legA.bridgedLeg)
        try await phoneA.send(TestPhone.rtp(sequence: 3, payload: [3]), to: legA.rtpAddress)
        try await eventually { legA.statistics.droppedNotBridged == 2 }
        XCTAssertEqual(phoneB.received.count, 1)
        XCTAssertEqual(legA.statistics.droppedNotBridged, 2)

        XCTAssertThrowsError(try engine.bridge(legA, legA))
        await legB.close()
        XCTAssertThrowsError(try engine.bridge(legA, legB)) { error in
            XCTAssertEqual((error as? MediaError)?.code, .legClosed)
        }
        XCTAssertNil(legA.bridgedLeg)
        await legA.close()
        await phoneA.close()
        await phoneB.close()
    }

    func testRebridgingDetachesTheOldPeer() async throws {
        let engine = try makeEngine(21400...21499)
        let a = try await engine.openLeg()
        let b = try await engine.openLeg()
        let c = try await engine.openLeg()
        try engine.bridge(a, b)
        try engine.bridge(a, c)
        XCTAssertTrue(a.bridgedLeg === c)
        XCTAssertTrue(c.bridgedLeg === a)
        XCTAssertNil(b.bridgedLeg)
        await c.close()
        XCTAssertNil(a.bridgedLeg)
        await a.close()
        await b.close()
        XCTAssertEqual(engine.openLegCount, 0)
    }
}
