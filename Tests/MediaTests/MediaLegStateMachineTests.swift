import NIOCore
import XCTest

@testable import Media

final class MediaLegStateMachineTests: XCTestCase {
    private let phone = try! SocketAddress(ipAddress: "127.0.0.1", port: 4000)
    private let stranger = try! SocketAddress(ipAddress: "127.0.0.1", port: 4002)

    func testDropsAreCountedByReason() {
        var machine = MediaLegStateMachine(relatchAfterSilence: nil)
        let phoneRTCP = try! SocketAddress(ipAddress: "127.0.0.1", port: 4001)
        machine.setRemote(rtp: phone, rtcp: phoneRTCP, confirmed: true)
        XCTAssertEqual(machine.received(.rtp, valid: false, sequence: nil, from: phone, bridged: true, at: 0), .drop)
        XCTAssertEqual(machine.received(.rtp, valid: true, sequence: 1, from: phone, bridged: false, at: 0), .drop)
        XCTAssertEqual(machine.received(.rtp, valid: true, sequence: 1, from: stranger, bridged: true, at: 0), .drop)
        XCTAssertEqual(machine.received(.rtp, valid: true, sequence: 2, from: phone, bridged: true, at: 0), .forward)
        XCTAssertEqual(machine.received(.rtcp, valid: true, from: stranger, bridged: true, at: 0), .drop)
        XCTAssertEqual(machine.received(.rtcp, valid: true, from: phoneRTCP, bridged: true, at: 5), .forward)
        let stats = machine.statistics
        XCTAssertEqual(stats.droppedMalformed, 1)
        XCTAssertEqual(stats.droppedNotBridged, 1)
        XCTAssertEqual(stats.droppedWrongSource, 2)
        XCTAssertEqual(stats.rtpReceived, 2)
        XCTAssertEqual(stats.rtcpReceived, 1)
        XCTAssertEqual(machine.rtp.destination, phone)  // learnt while not bridged
        XCTAssertEqual(machine.rtcp.destination, phoneRTCP)
        XCTAssertEqual(machine.lastAccepted, 5)
    }

    func testAStrangerSprayingBeforeThePhoneNeverTakesAConfirmedLeg() {
        var machine = MediaLegStateMachine(relatchAfterSilence: nil)
        machine.setRemote(rtp: phone, rtcp: nil, confirmed: true)
        var forwarded = 0
        for index in 0..<100 {  // a perfect 20 ms stream from the stranger first
            if machine.received(
                .rtp, valid: true, sequence: UInt16(index), from: stranger, bridged: true,
                at: UInt64(index) * 20_000_000) == .forward
            {
                forwarded += 1
            }
        }
        // Probation let it in (no other source yet)...
        XCTAssertGreaterThan(forwarded, 0)
        XCTAssertEqual(machine.rtp.latched, stranger)
        // ... until the phone speaks from its confirmed address: from then on only the phone is heard.
        XCTAssertEqual(machine.received(.rtp, valid: true, sequence: 7, from: phone, bridged: true, at: 3_000_000_000), .forward)
        XCTAssertEqual(machine.rtp.destination, phone)
        XCTAssertEqual(machine.received(.rtp, valid: true, sequence: 101, from: stranger, bridged: true, at: 3_000_000_001), .drop)
    }

    func testRelayOutNeedsADestinationAndRoom() {
        var machine = MediaLegStateMachine(relatchAfterSilence: nil)
        XCTAssertEqual(machine.relayOut(.rtp, isMedia: true, writable: true, crossLoop: false), .drop)
        XCTAssertEqual(machine.statistics.droppedNoDestination, 1)
        machine.setRemote(rtp: phone, rtcp: nil, confirmed: true)
        XCTAssertEqual(
            machine.relayOut(.rtp, isMedia: true, writable: true, crossLoop: false),
            .send(to: phone, stopTone: false))
        XCTAssertEqual(machine.relayOut(.rtp, isMedia: true, writable: false, crossLoop: false), .drop)
        XCTAssertEqual(machine.statistics.droppedOverload, 1)
        for _ in 0..<MediaLegStateMachine.maximumPendingHops {
            XCTAssertNotEqual(machine.relayOut(.rtp, isMedia: true, writable: true, crossLoop: true), .drop)
        }
        XCTAssertEqual(machine.relayOut(.rtp, isMedia: true, writable: true, crossLoop: true), .drop)
        machine.hopCompleted()
        XCTAssertNotEqual(machine.relayOut(.rtp, isMedia: true, writable: true, crossLoop: true), .drop)
    }

    func testRelayedMediaStopsTheToneButRTCPDoesNot() throws {
        var machine = MediaLegStateMachine(relatchAfterSilence: nil)
        machine.setRemote(rtp: phone, rtcp: stranger, confirmed: true)
        let stream = try ToneStream(
            generator: ToneGenerator(cadence: .italyRingback), payloadType: 0,
            ssrc: 1, firstSequence: 1, firstTimestamp: 1, startTime: 0)
        let generation = try XCTUnwrap(machine.startTone(stream))
        guard
            case .send(let packets, let destination, let next) = machine.toneTimerFired(
                generation: generation, at: 0, writable: true, allocator: ByteBufferAllocator())
        else {
            return XCTFail("tone should send")
        }
        XCTAssertEqual(packets.count, 1)
        XCTAssertEqual(destination, phone)
        XCTAssertEqual(next, 20_000_000)
        XCTAssertEqual(
            machine.relayOut(.rtcp, isMedia: false, writable: true, crossLoop: false),
            .send(to: stranger, stopTone: false))
        XCTAssertTrue(machine.isTonePlaying)
        XCTAssertEqual(
            machine.relayOut(.rtp, isMedia: true, writable: true, crossLoop: false),
            .send(to: phone, stopTone: true))
        XCTAssertFalse(machine.isTonePlaying)
        guard
            case .stop = machine.toneTimerFired(
                generation: generation, at: 20_000_000, writable: true,
                allocator: ByteBufferAllocator())
        else {
            return XCTFail("stale timer must stop")
        }
        XCTAssertEqual(machine.statistics.toneSent, 1)
    }

    func testClosedLegDoesNothing() throws {
        var machine = MediaLegStateMachine(relatchAfterSilence: nil)
        machine.setRemote(rtp: phone, rtcp: nil, confirmed: true)
        XCTAssertTrue(machine.close())
        XCTAssertFalse(machine.close())
        XCTAssertEqual(machine.received(.rtp, valid: true, sequence: 1, from: phone, bridged: true, at: 0), .drop)
        XCTAssertEqual(machine.relayOut(.rtp, isMedia: true, writable: true, crossLoop: false), .drop)
        let stream = try ToneStream(
            generator: ToneGenerator(cadence: .italyRingback), payloadType: 0,
            ssrc: 1, firstSequence: 1, firstTimestamp: 1, startTime: 0)
        XCTAssertNil(machine.startTone(stream))
    }
}
