import XCTest
@testable import Media

final class RTPPortAllocatorTests: XCTestCase {
    func testDefaultRangeHandsOutEvenPairsInsideTheRange() throws {
        var allocator = try RTPPortAllocator()
        XCTAssertEqual(allocator.range, 10000...20000)
        XCTAssertEqual(allocator.capacity, 5000) // 10000/10001 ... 19998/19999
        let first = try allocator.allocate()
        XCTAssertEqual(first.rtp, 10000)
        XCTAssertEqual(first.rtcp, 10001)
        let second = try allocator.allocate()
        XCTAssertEqual(second.rtp, 10002)
        XCTAssertEqual(allocator.inUseCount, 2)
    }

    func testOddBoundsAreRoundedInward() throws {
        var allocator = try RTPPortAllocator(range: 10001...10006)
        XCTAssertEqual(allocator.capacity, 2) // 10002/10003, 10004/10005; 10006 has no 10007
        XCTAssertEqual(try allocator.allocate().rtp, 10002)
        XCTAssertEqual(try allocator.allocate().rtp, 10004)
        XCTAssertThrowsError(try allocator.allocate())
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

    func testReleasedPairIsReusedOnlyAfterTheOthers() throws {
        var allocator = try RTPPortAllocator(range: 20000...20007) // 4 pairs
        let a = try allocator.allocate()
        XCTAssertTrue(allocator.release(a))
        XCTAssertFalse(allocator.isInUse(a))
        // Rotation: the next three allocations avoid the pair just released.
        let next = try (0..<3).map { _ in try allocator.allocate() }
        XCTAssertFalse(next.contains(a))
        XCTAssertEqual(try allocator.allocate(), a)
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
        var allocator = try RTPPortAllocator(range: 20000...20019) // 10 pairs
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
