import NIOCore
import XCTest

@testable import Media

final class SymmetricLatchTests: XCTestCase {
    private let sdp = try! SocketAddress(ipAddress: "192.168.1.10", port: 4000)
    private let nat = try! SocketAddress(ipAddress: "203.0.113.7", port: 61000)
    private let natRTCP = try! SocketAddress(ipAddress: "203.0.113.7", port: 61001)
    private let other = try! SocketAddress(ipAddress: "198.51.100.1", port: 5000)
    private let ms: UInt64 = 1_000_000

    /// Sends `count` packets from `source` 20 ms apart with consecutive sequence numbers from
    /// `first`; returns what `accept` answered for each.
    private func stream(
        _ latch: inout SymmetricLatch, from source: SocketAddress, first: UInt16, count: Int,
        startingAt start: UInt64, spacing: UInt64 = 20_000_000
    ) -> [Bool] {
        (0..<count).map { index in
            latch.accept(from: source, sequence: first &+ UInt16(index), at: start + UInt64(index) * spacing)
        }
    }

    func testConfirmedSDPAddressIsLearntAtOnceAndLocks() {
        var latch = SymmetricLatch(advertised: sdp, confirmed: sdp)
        XCTAssertEqual(latch.destination, sdp)
        XCTAssertFalse(latch.isLatched)
        XCTAssertFalse(latch.accept(from: other, sequence: 1, at: 0), "a stranger is not learnt from one packet")
        XCTAssertTrue(latch.accept(from: sdp, sequence: 500, at: ms))
        XCTAssertTrue(latch.isLocked)
        // Locked: a stranger's perfect stream never gets in.
        XCTAssertEqual(stream(&latch, from: other, first: 1, count: 50, startingAt: 2 * ms), Array(repeating: false, count: 50))
        XCTAssertEqual(latch.destination, sdp)
    }

    func testUnconfirmedSourcesNeedProbationOfConsecutivePackets() {
        var latch = SymmetricLatch(advertised: sdp)  // private SDP address: not confirmed (NAT)
        XCTAssertEqual(stream(&latch, from: nat, first: 100, count: 5, startingAt: 0), [false, false, false, true, true])
        XCTAssertEqual(latch.latched, nat)
        XCTAssertEqual(latch.destination, nat, "audio goes to the real (public) source, not the SDP address")
        XCTAssertFalse(latch.accept(from: other, sequence: 1, at: 200 * ms))
    }

    func testASequenceGapRestartsProbation() {
        var latch = SymmetricLatch(advertised: nil)
        XCTAssertFalse(latch.accept(from: nat, sequence: 10, at: 0))
        XCTAssertFalse(latch.accept(from: nat, sequence: 11, at: 20 * ms))
        XCTAssertFalse(latch.accept(from: nat, sequence: 30, at: 40 * ms))  // gap: counts as the first again
        XCTAssertFalse(latch.accept(from: nat, sequence: 31, at: 60 * ms))
        XCTAssertFalse(latch.accept(from: nat, sequence: 32, at: 80 * ms))
        XCTAssertTrue(latch.accept(from: nat, sequence: 33, at: 100 * ms))
        // Sequence numbers wrap.
        var wrapping = SymmetricLatch(advertised: nil)
        XCTAssertEqual(stream(&wrapping, from: nat, first: 65534, count: 4, startingAt: 0), [false, false, false, true])
    }

    func testABurstFasterThanAudioIsAFloodAndStartsOver() {
        var latch = SymmetricLatch(advertised: nil)
        // Four consecutive packets within 3 ms: far faster than 10 ms audio frames.
        XCTAssertEqual(stream(&latch, from: other, first: 1, count: 4, startingAt: 0, spacing: ms), [false, false, false, false])
        XCTAssertFalse(latch.isLatched)
        XCTAssertEqual(StrictRTPPolicy().minimumProbationNanoseconds, 22 * ms)  // (4 - 1) * 9 - 5 ms
    }

    func testCompetingSourcesInterfereAndNeitherWinsWhileBothSend() {
        var latch = SymmetricLatch(advertised: nil)
        var accepted = false
        for index in 0..<20 {
            let t = UInt64(index) * 20 * ms
            accepted = accepted || latch.accept(from: nat, sequence: UInt16(index), at: t)
            accepted = accepted || latch.accept(from: other, sequence: UInt16(1000 + index), at: t + ms)
        }
        XCTAssertFalse(accepted, "interleaved streams keep resetting each other's probation")
    }

    func testConfirmedAddressDisplacesASourceLearntByProbation() {
        var latch = SymmetricLatch(advertised: sdp, confirmed: sdp)
        let sameHost = try! SocketAddress(ipAddress: "192.168.1.10", port: 4100)
        // Another port of the phone's host passes probation first (a stranger behind the same NAT)...
        XCTAssertEqual(stream(&latch, from: sameHost, first: 1, count: 4, startingAt: 0).last, true)
        XCTAssertEqual(latch.latched, sameHost)
        // ... but the real phone, at its confirmed address, takes the stream back at its first packet,
        // even after the learning window.
        XCTAssertTrue(latch.accept(from: sdp, sequence: 9, at: 10_000 * ms))
        XCTAssertEqual(latch.latched, sdp)
        XCTAssertTrue(latch.isConfirmedSource)
        XCTAssertFalse(latch.accept(from: sameHost, sequence: 5, at: 10_020 * ms))
    }

    func testWithConfirmedSDPOtherHostsAreNeverLearnt() {
        var latch = SymmetricLatch(advertised: sdp, confirmed: sdp, signallingHost: "192.168.1.10")
        XCTAssertEqual(stream(&latch, from: other, first: 1, count: 200, startingAt: 0), Array(repeating: false, count: 200))
        XCTAssertFalse(latch.isLatched)
        XCTAssertEqual(latch.destination, sdp)
    }

    func testAPhoneBehindNATIsLearntDespiteAStrangerSprayingAndDisplacesIt() {
        // SDP with a private address (not confirmed); SIP comes from the NAT's public host.
        var latch = SymmetricLatch(advertised: sdp, confirmed: nil, signallingHost: "203.0.113.7")
        // The stranger is first and passes probation (any host may, without confirmed SDP).
        XCTAssertEqual(stream(&latch, from: other, first: 1, count: 4, startingAt: 0).last, true)
        XCTAssertEqual(latch.latched, other)
        // The phone starts from its public address while the stranger keeps spraying, interleaved:
        // the stranger's packets do not reset the phone's probation, and the phone takes over.
        var phoneAccepted: [Bool] = []
        for index in 0..<6 {
            let t = 100 * ms + UInt64(index) * 20 * ms
            phoneAccepted.append(latch.accept(from: nat, sequence: UInt16(500 + index), at: t))
            _ = latch.accept(from: other, sequence: UInt16(5 + index), at: t + ms)
        }
        XCTAssertEqual(phoneAccepted, [false, false, false, true, true, true])
        XCTAssertEqual(latch.destination, nat)
        XCTAssertFalse(latch.accept(from: other, sequence: 100, at: 10_000 * ms))
        XCTAssertTrue(latch.accept(from: nat, sequence: 506, at: 10_000 * ms + 1))
    }

    func testWithinTheLearningWindowASilentSourceCanBeReplacedThenTheStreamLocks() {
        var latch = SymmetricLatch(advertised: nil)
        XCTAssertEqual(stream(&latch, from: other, first: 1, count: 4, startingAt: 0).last, true)
        XCTAssertFalse(latch.isLocked)
        // `other` falls silent; `nat` passes probation within 5 s and takes over.
        XCTAssertEqual(stream(&latch, from: nat, first: 50, count: 4, startingAt: 1000 * ms).last, true)
        XCTAssertEqual(latch.latched, nat)
        // After the window the stream locks on `nat`.
        XCTAssertTrue(latch.accept(from: nat, sequence: 54, at: 7000 * ms))
        XCTAssertEqual(stream(&latch, from: other, first: 100, count: 10, startingAt: 7001 * ms), Array(repeating: false, count: 10))
        XCTAssertTrue(latch.isLocked)
    }

    func testRTCPFollowsTheHostItsRTPWasLearntFrom() {
        var rtcp = SymmetricLatch(advertised: nil)
        XCTAssertFalse(rtcp.accept(from: natRTCP, sequence: nil, at: 0, companion: nil), "RTCP cannot pass probation")
        XCTAssertFalse(rtcp.accept(from: other, sequence: nil, at: 0, companion: nat))
        XCTAssertTrue(rtcp.accept(from: natRTCP, sequence: nil, at: 0, companion: nat))
        XCTAssertEqual(rtcp.destination, natRTCP)
        XCTAssertFalse(rtcp.accept(from: other, sequence: nil, at: ms, companion: nat))
    }

    func testResetWithNewAddressesReopensLearningAndSameAddressesChangeNothing() {
        var latch = SymmetricLatch(advertised: sdp, confirmed: sdp, signallingHost: "192.168.1.10")
        XCTAssertTrue(latch.accept(from: sdp, sequence: 1, at: 0))
        latch.reset(advertised: sdp, confirmed: sdp, signallingHost: "192.168.1.10")  // the 200 OK repeats the early SDP
        XCTAssertTrue(latch.isLocked)
        // A re-INVITE moves the stream to another port of the same host.
        let moved = try! SocketAddress(ipAddress: "192.168.1.10", port: 4002)
        latch.reset(advertised: moved, confirmed: moved, signallingHost: "192.168.1.10")
        XCTAssertFalse(latch.isLocked)
        XCTAssertTrue(latch.accept(from: sdp, sequence: 2, at: ms), "the old source is heard until the new one arrives")
        XCTAssertTrue(latch.accept(from: moved, sequence: 7, at: 2 * ms))
        XCTAssertEqual(latch.destination, moved)
        XCTAssertFalse(latch.accept(from: sdp, sequence: 3, at: 3 * ms))
        // A re-INVITE to another host: the old host is forgotten at once.
        latch.reset(advertised: nat, confirmed: nat, signallingHost: "203.0.113.7")
        XCTAssertFalse(latch.isLatched)
        XCTAssertEqual(latch.destination, nat)
        XCTAssertFalse(latch.accept(from: moved, sequence: 8, at: 4 * ms))
    }

    func testAStrangerLearntBeforeTheAnswerIsForgottenWhenConfirmedSDPArrives() {
        // An outbound leg rings: no SDP yet, a stranger passes probation.
        var latch = SymmetricLatch(advertised: nil)
        XCTAssertEqual(stream(&latch, from: other, first: 1, count: 4, startingAt: 0).last, true)
        // The 200 OK brings confirmed SDP: audio goes to the phone at once, the stranger is out.
        latch.reset(advertised: sdp, confirmed: sdp, signallingHost: "192.168.1.10")
        XCTAssertFalse(latch.isLatched)
        XCTAssertEqual(latch.destination, sdp)
        XCTAssertFalse(latch.accept(from: other, sequence: 5, at: 100 * ms))
        XCTAssertTrue(latch.accept(from: sdp, sequence: 1, at: 120 * ms))
    }

    func testDisabledFirstPacketLatchesAsPlainSymmetricRTP() {
        var latch = SymmetricLatch(advertised: sdp, policy: StrictRTPPolicy(enabled: false))
        XCTAssertTrue(latch.accept(from: nat, sequence: 1, at: 0))
        XCTAssertEqual(latch.destination, nat)
        XCTAssertFalse(latch.accept(from: other, sequence: 2, at: 1))
        latch.reset(advertised: other)
        XCTAssertEqual(latch.destination, other)
        XCTAssertTrue(latch.accept(from: sdp, sequence: 3, at: 2))
        XCTAssertEqual(latch.destination, sdp)
    }

    func testProbationOfOneLearnsTheFirstPacket() {
        var latch = SymmetricLatch(advertised: nil, policy: StrictRTPPolicy(probation: 1))
        XCTAssertTrue(latch.accept(from: nat, sequence: 1, at: 0))
        XCTAssertEqual(StrictRTPPolicy(probation: 0).probation, 1)
        XCTAssertEqual(StrictRTPPolicy(probation: 1000).probation, StrictRTPPolicy.maximumProbation)
    }

    func testOptionalRelatchAfterSilenceStillNeedsProbation() {
        var latch = SymmetricLatch(advertised: nil, relatchAfterSilence: 2_000 * ms)
        XCTAssertEqual(stream(&latch, from: nat, first: 1, count: 4, startingAt: 0).last, true)
        XCTAssertTrue(latch.accept(from: nat, sequence: 5, at: 6_000 * ms))  // locks (window over)
        XCTAssertTrue(latch.isLocked)
        XCTAssertFalse(latch.accept(from: other, sequence: 1, at: 7_000 * ms))  // silent only 1 s
        XCTAssertEqual(stream(&latch, from: other, first: 1, count: 4, startingAt: 8_000 * ms).last, true)
        XCTAssertEqual(latch.destination, other)
    }
}
