import NIOCore
import XCTest

@testable import Media

final class ToneStreamTests: XCTestCase {
    private let millisecond: UInt64 = 1_000_000

    private func makeStream(payloadType: UInt8 = 0, start: UInt64 = 1_000_000_000) throws -> ToneStream {
        try ToneStream(
            generator: ToneGenerator(cadence: .italyRingback), payloadType: payloadType,
            ssrc: 0xCAFEBABE, firstSequence: 65534, firstTimestamp: 0xFFFF_FF00, startTime: start)
    }

    func testPacketsArePacedEvery20MillisecondsWithConsecutiveNumbering() throws {
        var stream = try makeStream()
        let start = stream.startTime
        XCTAssertTrue(stream.packets(dueAt: start - 1).isEmpty)
        var headers: [RTPHeader] = []
        var payloads: [[UInt8]] = []
        var now = start
        for _ in 0..<5 {
            let packets = stream.packets(dueAt: now)
            XCTAssertEqual(packets.count, 1)
            for packet in packets {
                let header = try XCTUnwrap(RTPHeader(parsing: packet))
                headers.append(header)
                payloads.append(Array(packet.readableBytesView.dropFirst(header.headerLength)))
            }
            XCTAssertEqual(stream.nextDeadline, now + 20 * millisecond)
            XCTAssertTrue(stream.packets(dueAt: now + 19 * millisecond).isEmpty)
            now += 20 * millisecond
        }
        XCTAssertEqual(headers.map(\.sequenceNumber), [65534, 65535, 0, 1, 2])
        XCTAssertEqual(headers.map(\.timestamp), [0xFFFF_FF00, 0xFFFF_FFA0, 0x40, 0xE0, 0x180])
        XCTAssertEqual(headers.map(\.marker), [true, false, false, false, false])
        XCTAssertTrue(headers.allSatisfy { $0.ssrc == 0xCAFEBABE && $0.payloadType == 0 })
        XCTAssertTrue(payloads.allSatisfy { $0.count == 160 })
        let decoded = payloads.flatMap { $0 }.map(MuLaw.decode)
        XCTAssertEqual(AudioAnalysis.zeroCrossingFrequency(decoded), 425, accuracy: 15)
    }

    func testLateWakeUpSendsABoundedBurstAndSkips() throws {
        var stream = try makeStream(payloadType: 8)
        XCTAssertEqual(stream.packets(dueAt: stream.startTime).count, 1)
        // Woken 1 s late: only the last `maximumBurst` packets go, timestamps jump, sequence does not.
        let late = stream.packets(dueAt: stream.startTime + 1000 * millisecond)
        XCTAssertEqual(late.count, Int(ToneStream.maximumBurst))
        let headers = try late.map { try XCTUnwrap(RTPHeader(parsing: $0)) }
        XCTAssertEqual(headers.map(\.sequenceNumber), [65535, 0, 1])
        XCTAssertEqual(headers.map { $0.timestamp &- 0xFFFF_FF00 }, [48 * 160, 49 * 160, 50 * 160])
        XCTAssertEqual(stream.packetsProduced, 4)
        XCTAssertEqual(stream.nextDeadline, stream.startTime + 51 * 20 * millisecond)
    }

    func testOffPhaseIsEncodedSilence() throws {
        var stream = try makeStream(payloadType: 8)
        let packets = stream.packets(dueAt: stream.startTime + 1500 * millisecond)  // 75 and before; burst
        let last = try XCTUnwrap(packets.last)
        XCTAssertTrue(last.readableBytesView.dropFirst(12).allSatisfy { $0 == 0xD5 })
        var mu = try makeStream(payloadType: 0)
        let silent = try XCTUnwrap(mu.packets(dueAt: mu.startTime + 2000 * millisecond).last)
        XCTAssertTrue(silent.readableBytesView.dropFirst(12).allSatisfy { $0 == 0xFF })
    }

    func testOnlyG711IsAccepted() {
        XCTAssertThrowsError(try makeStream(payloadType: 9)) { error in
            XCTAssertEqual((error as? MediaError)?.code, .unsupportedPayloadType)
        }
    }
}
