import XCTest

@testable import Media

final class RTPPortAllocatorTests: XCTestCase {
    func testDefaultRangeHandsOutEvenPairsInsideTheRange() throws {
        var allocator = try RTPPortAllocator()
        XCTAssertEqual(allocator.range, 10000...20000)
        XCTAssertEqual(allocator.capacity, 5000)  // 10000/10001 ... 19998/19999
        for _ in 0..<100 {
            let pair = try allocator.allocate()
            XCTAssertEqual(pair.rtp % 2, 0)
            XCTAssertEqual(pair.rtcp, pair.rtp + 1)
            XCTAssertTrue((10000...19998).contains(pair.rtp))
        }
        XCTAssertEqual(allocator.inUseCount, 100)
    }

    func testOddBoundsAreRoundedInward() throws {
        var allocator = try RTPPortAllocator(range: 10001...10006)
        XCTAssertEqual(allocator.capacity, 2)  // 10002/10003, 10004/10005; 10006 has no 10007
        let pairs = Set(try [allocator.allocate().rtp, allocator.allocate().rtp])
        XCTAssertEqual(pairs, [10002, 10004])
        XCTAssertThrowsError(try allocator.allocate())
    }

    func testSuccessiveAllocationsAreNotSequential() throws {
        // Issue 9: ports in order let a stranger guess the next call's ports.
        var allocator = try RTPPortAllocator()
        let ports = try (0..<200).map { _ in try allocator.allocate().rtp }
        let steps = zip(ports, ports.dropFirst()).filter { $1 - $0 == 2 }.count
        XCTAssertLessThan(steps, 10, "random order: consecutive pairs are rare (expected ~0.08 of 199)")
        XCTAssertGreaterThan(Set(ports.map { $0 / 1000 }).count, 5, "spread over the range")
    }

    func testQuarantinedPairsStayOutOfRotationUntilTheirTime() throws {
        var allocator = try RTPPortAllocator(range: 20000...20003)  // 2 pairs
        let a = try allocator.allocate(at: 0)
        let b = try allocator.allocate(at: 0)
        XCTAssertTrue(allocator.quarantine(a, until: 1_000))
        XCTAssertFalse(allocator.quarantine(a, until: 1_000), "only a pair in use")
        XCTAssertEqual(allocator.inUseCount, 1)
        XCTAssertEqual(allocator.quarantinedCount, 1)
        XCTAssertFalse(allocator.release(a), "a quarantined pair is not released")
        allocator.release(b)
        XCTAssertEqual(try allocator.allocate(at: 999), b)
        XCTAssertThrowsError(try allocator.allocate(at: 999)) { error in
            XCTAssertEqual((error as? MediaError)?.code, .portRangeExhausted)
        }
        XCTAssertEqual(try allocator.allocate(at: 1_000), a)
        XCTAssertEqual(allocator.quarantinedCount, 0)
        XCTAssertEqual(allocator.inUseCount, 2)
    }

    func testInvalidRangesAreRejected() {
        for range in [10001...10001, 10000...10000, 0...100, 65534...65536] {
            XCTAssertThrowsError(try RTPPortAllocator(range: range)) { error in
                XCTAssertEqual((error as? MediaError)?.code, .invalidPortRange, "\(range)")
            }
        }
        XCTAssertNoThrow(try RTPPortAllocator(range: 65534...65535))
    }

    func testNeverHandsOutAPairTwiceWhileInUse() throws {
        var allocator = try RTPPortAllocator(range: 20000...20099)
        var seen = Set<RTPPortPair>()
        for _ in 0..<allocator.capacity {
            XCTAssertTrue(seen.insert(try allocator.allocate()).inserted)
        }
        XCTAssertThrowsError(try allocator.allocate()) { error in
            XCTAssertEqual((error as? MediaError)?.code, .portRangeExhausted)
        }
    }

    func testReleasedPairsComeBack() throws {
        var allocator = try RTPPortAllocator(range: 20000...20007)  // 4 pairs
        let all = try (0..<4).map { _ in try allocator.allocate() }
        XCTAssertEqual(Set(all).count, 4)
        XCTAssertTrue(allocator.release(all[2]))
        XCTAssertFalse(allocator.isInUse(all[2]))
        XCTAssertEqual(try allocator.allocate(), all[2])
        XCTAssertEqual(allocator.inUseCount, 4)
    }

    func testDoubleOrForeignReleaseIsHarmless() throws {
        var allocator = try RTPPortAllocator(range: 20000...20007)
        let a = try allocator.allocate()
        XCTAssertTrue(allocator.release(a))
        XCTAssertFalse(allocator.release(a))
        XCTAssertFalse(allocator.release(RTPPortPair(rtp: 30000)))
        XCTAssertEqual(allocator.inUseCount, 0)
        XCTAssertTrue(allocator.isEmpty)
    }

    func testChurnEndsEmpty() throws {
        var allocator = try RTPPortAllocator(range: 20000...20019)  // 10 pairs
        var held: [RTPPortPair] = []
        for round in 0..<10_000 {
            if held.count == allocator.capacity || (round % 3 == 2 && !held.isEmpty) {
                allocator.release(held.removeFirst())
            } else {
                held.append(try allocator.allocate())
            }
            XCTAssertEqual(allocator.inUseCount, held.count)
        }
        for pair in held { allocator.release(pair) }
        XCTAssertTrue(allocator.isEmpty)
    }
}
