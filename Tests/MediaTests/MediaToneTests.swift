import NIOCore
import NIOPosix
import XCTest

@testable import Media

final class MediaToneTests: XCTestCase {
    private func makeEngine(_ range: ClosedRange<Int>) throws -> MediaEngine {
        try MediaEngine(group: MultiThreadedEventLoopGroup.singleton, bindHost: "127.0.0.1", portRange: range)
    }

    func testRingbackArrivesEvery20MillisecondsAsA425HertzTone() async throws {
        let engine = try makeEngine(22000...22099)
        let phone = try await TestPhone.start()
        let leg = try await engine.openLeg()
        leg.setRemote(rtp: phone.address, rtcp: nil)
        try engine.playRingback(on: leg, payloadType: 0, country: "it")
        XCTAssertTrue(leg.isTonePlaying)
        let packets = Array(try await phone.waitFor(25).prefix(25))
        XCTAssertEqual(packets.count, 25)
        let headers = try packets.map { try XCTUnwrap(RTPHeader(parsing: $0.data)) }
        for (previous, next) in zip(headers, headers.dropFirst()) {
            XCTAssertEqual(next.sequenceNumber, previous.sequenceNumber &+ 1)
            XCTAssertEqual(next.timestamp, previous.timestamp &+ 160)
            XCTAssertEqual(next.ssrc, previous.ssrc)
        }
        XCTAssertEqual(headers.map(\.marker), [true] + Array(repeating: false, count: 24))
        XCTAssertTrue(headers.allSatisfy { $0.payloadType == 0 })
        XCTAssertTrue(packets.allSatisfy { $0.data.readableBytes == 12 + 160 && $0.source == leg.rtpAddress })
        // 24 intervals of 20 ms; generous bounds for a loaded CI machine.
        let span = Double(packets[24].arrival.uptimeNanoseconds - packets[0].arrival.uptimeNanoseconds) / 1e6
        XCTAssertGreaterThan(span, 24 * 20 * 0.8)
        XCTAssertLessThan(span, 24 * 20 * 1.5)

        let samples = packets.flatMap { $0.data.readableBytesView.dropFirst(12).map(MuLaw.decode) }
        XCTAssertEqual(AudioAnalysis.zeroCrossingFrequency(samples), 425, accuracy: 10)
        XCTAssertGreaterThan(
            AudioAnalysis.goertzelPower(samples, frequency: 425),
            100 * AudioAnalysis.goertzelPower(samples, frequency: 600))

        engine.stopTone(on: leg)
        XCTAssertFalse(leg.isTonePlaying)
        try await Task.sleep(nanoseconds: 30_000_000)
        let countAfterStop = phone.received.count
        try await Task.sleep(nanoseconds: 100_000_000)
        XCTAssertEqual(phone.received.count, countAfterStop, "no packets after stopTone")
        XCTAssertGreaterThanOrEqual(leg.statistics.toneSent, 25)
        await leg.close()
        await phone.close()
    }

    func testPCMARingbackFollowsTheLatchedAddress() async throws {
        let engine = try makeEngine(22100...22199)
        let phone = try await TestPhone.start()
        let leg = try await engine.openLeg()
        // SDP says nowhere useful; the phone's source is learnt after strict-RTP probation.
        leg.setRemote(rtp: try SocketAddress(ipAddress: "127.0.0.1", port: 9), rtcp: nil, confirmed: false)
        for sequence in UInt16(1)...4 {
            try await phone.send(TestPhone.rtp(sequence: sequence, payloadType: 8, payload: [0xD5]), to: leg.rtpAddress)
            try await Task.sleep(nanoseconds: 10_000_000)
        }
        try await eventually { leg.isRTPLatched }
        try engine.playRingback(on: leg, payloadType: 8, country: "unknown")
        let packets = try await phone.waitFor(5)
        XCTAssertGreaterThanOrEqual(packets.count, 5)
        let samples = packets.flatMap { $0.data.readableBytesView.dropFirst(12).map(ALaw.decode) }
        XCTAssertEqual(try XCTUnwrap(RTPHeader(parsing: packets[0].data)).payloadType, 8)
        XCTAssertEqual(AudioAnalysis.zeroCrossingFrequency(samples), 425, accuracy: 15)
        XCTAssertThrowsError(try engine.playRingback(on: leg, payloadType: 9, country: "it"))
        await leg.close()
        XCTAssertThrowsError(try engine.playRingback(on: leg, payloadType: 0, country: "it")) { error in
            XCTAssertEqual((error as? MediaError)?.code, .legClosed)
        }
        await phone.close()
    }

    func testEarlyMediaFromTheBridgedLegReplacesRingback() async throws {
        let engine = try makeEngine(22200...22299)
        let caller = try await TestPhone.start()
        let callee = try await TestPhone.start()
        let legA = try await engine.openLeg()
        let legB = try await engine.openLeg(colocatedWith: legA)
        legA.setRemote(rtp: caller.address, rtcp: nil)
        legB.setRemote(rtp: callee.address, rtcp: nil)
        try engine.playRingback(on: legA, payloadType: 0, country: "us")
        try engine.bridge(legA, legB)
        try await caller.waitFor(3)
        let early = TestPhone.rtp(sequence: 100, ssrc: 0xEEEE, payload: [9, 9, 9])
        try await callee.send(early, to: legB.rtpAddress)
        try await eventually { !legA.isTonePlaying }
        XCTAssertFalse(legA.isTonePlaying)
        try await Task.sleep(nanoseconds: 60_000_000)
        let received = caller.received
        XCTAssertEqual(received.last?.data, early, "the callee's packet is the last the caller got")
        XCTAssertEqual(received.filter { $0.data == early }.count, 1)
        for leg in [legA, legB] { await leg.close() }
        await caller.close()
        await callee.close()
    }
}
