import XCTest

@testable import PBX

/// The linear-time literal search of event filters against the plain definition, on texts and patterns
/// over two letters (where partial matches overlap most), and on the worst case of the old search.
final class BytePatternTests: XCTestCase {
    /// Where `pattern` first occurs in `text` at or after `from`, comparing at every position.
    func naive(_ pattern: [UInt8], _ text: [UInt8], from: Int) -> Int? {
        guard !pattern.isEmpty, text.count >= pattern.count, from <= text.count - pattern.count else { return nil }
        return (from...(text.count - pattern.count)).first { Array(text[$0..<($0 + pattern.count)]) == pattern }
    }

    func testAgreesWithTheDefinitionOnRandomTextsOfTwoLetters() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5000 {
            let letters: [UInt8] = [UInt8(ascii: "a"), UInt8(ascii: "b")]
            let pattern = (0..<Int.random(in: 1...6, using: &generator)).map { _ in letters.randomElement(using: &generator)! }
            let text = (0..<Int.random(in: 0...40, using: &generator)).map { _ in letters.randomElement(using: &generator)! }
            let from = Int.random(in: 0...max(0, text.count), using: &generator)
            let found = text.withUnsafeBufferPointer { BytePattern(pattern).firstOccurrence(in: $0, from: from) }
            XCTAssertEqual(found, naive(pattern, text, from: from), "\(pattern) in \(text) from \(from)")
        }
    }

    func testFindsThePatternAfterTheOldSearchesWorstCase() {
        let pattern = BytePattern(Array(repeating: UInt8(ascii: "a"), count: 255) + [UInt8(ascii: "b")])
        var text = Array(repeating: UInt8(ascii: "a"), count: 16384)
        XCTAssertFalse(text.withUnsafeBufferPointer { pattern.occurs(in: $0) })
        text.append(UInt8(ascii: "b"))
        XCTAssertEqual(text.withUnsafeBufferPointer { pattern.firstOccurrence(in: $0, from: 0) }, 16384 - 255)
        XCTAssertTrue(text.withUnsafeBufferPointer { BytePattern([]).occurs(in: $0) }, "the empty pattern occurs everywhere")
        XCTAssertNil([UInt8]().withUnsafeBufferPointer { pattern.firstOccurrence(in: $0, from: 0) })
    }
}
