import XCTest

@testable import PBX

/// A caller ID is bounded where it is made: 256 bytes of name, 80 of number, cut at a character
/// boundary and at a NUL, however it arrives (SIP, Originate `CallerID`, the directory).
final class CallerIDBoundsTests: XCTestCase {
    func testLongNameAndNumberAreCutToTheirLimits() {
        let id = CallerID(name: String(repeating: "n", count: 10_000), number: String(repeating: "5", count: 10_000))
        XCTAssertEqual(id.name.utf8.count, CallerID.maximumNameBytes)
        XCTAssertEqual(id.number.utf8.count, CallerID.maximumNumberBytes)
        XCTAssertEqual(CallerID.maximumNameBytes, 256)
        XCTAssertEqual(CallerID.maximumNumberBytes, 80)
        let short = CallerID(name: "Ann", number: "100")
        XCTAssertEqual(short, CallerID(name: "Ann", number: "100"))
        XCTAssertEqual(short.name, "Ann")
        XCTAssertEqual(CallerID(name: String(repeating: "a", count: 256)).name.count, 256, "exactly the limit is kept")
    }

    /// Originate's `CallerID` text goes through the same limits.
    func testParsedCallerIDIsBounded() {
        let text = "\"\(String(repeating: "x", count: 20_000))\" <\(String(repeating: "1", count: 500))>"
        let id = CallerID(parsing: text)
        XCTAssertEqual(id.name, String(repeating: "x", count: 256))
        XCTAssertEqual(id.number, String(repeating: "1", count: 80))
        XCTAssertEqual(CallerID(parsing: String(repeating: "y", count: 5_000)).name.utf8.count, 256)
    }

    /// A multi-byte character straddling the limit is left out whole; a NUL ends the text.
    func testCutAtACharacterBoundaryAndAtANUL() {
        let name = String(repeating: "a", count: 255) + "è" + "tail"
        XCTAssertEqual(CallerID(name: name).name, String(repeating: "a", count: 255))
        let emoji = String(repeating: "😀", count: 100)  // 4 bytes each
        XCTAssertEqual(CallerID(name: emoji).name, String(repeating: "😀", count: 64))
        XCTAssertEqual(CallerID(name: "Ann\u{0}Evil", number: "100\u{0}9").name, "Ann")
        XCTAssertEqual(CallerID(name: "Ann\u{0}Evil", number: "100\u{0}9").number, "100")
        XCTAssertEqual(CallerID.bounded(String(repeating: "7", count: 81), toBytes: 80).count, 80)
    }
}
