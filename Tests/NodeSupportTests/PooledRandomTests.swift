import Foundation
import NIOConcurrencyHelpers
import NodeSupport
import XCTest

/// The pooled generator hands out each of the kernel's words once, from any thread.
final class PooledRandomTests: XCTestCase {
    func testWordsAreDistinctAndEveryBitVaries() {
        var random = PooledRandom()
        let words = (0..<10_000).map { _ in random.next() }
        XCTAssertEqual(Set(words).count, words.count, "a word handed out twice (or a pool not refilled)")
        for bit in 0..<64 {
            let set = words.filter { $0 & (1 << UInt64(bit)) != 0 }.count
            XCTAssertTrue((4_000...6_000).contains(set), "bit \(bit) set in \(set) of 10,000 words")
        }
    }

    func testThreadsDrawingAtOnceNeverShareAWord() {
        let all = NIOLockedValueBox<[UInt64]>([])
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            var random = PooledRandom()
            let mine = (0..<2_000).map { _ in random.next() }
            all.withLockedValue { $0 += mine }
        }
        XCTAssertEqual(Set(all.withLockedValue { $0 }).count, 16_000)
    }
}
