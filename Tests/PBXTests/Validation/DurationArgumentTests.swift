import PBX
import XCTest

/// `DurationArgument`: `ast_app_parse_timelen()` semantics, and no input that traps.
final class DurationArgumentTests: XCTestCase {
    func testNumbersAndUnits() {
        XCTAssertEqual(DurationArgument.milliseconds("1"), 1_000)
        XCTAssertEqual(DurationArgument.milliseconds(" 1.5 "), 1_500)
        XCTAssertEqual(DurationArgument.milliseconds(".25"), 250)
        XCTAssertEqual(DurationArgument.milliseconds("2e1"), 20_000)
        XCTAssertEqual(DurationArgument.milliseconds("250ms"), 250)
        XCTAssertEqual(DurationArgument.milliseconds("250 MS"), 250)
        XCTAssertEqual(DurationArgument.milliseconds("2m"), 120_000)
        XCTAssertEqual(DurationArgument.milliseconds("1h"), 3_600_000)
        XCTAssertEqual(DurationArgument.milliseconds("3", unit: .milliseconds), 3)
        XCTAssertEqual(DurationArgument.milliseconds("0"), 0)
        XCTAssertEqual(DurationArgument.milliseconds("-5"), -5_000)
    }

    func testHugeValuesClampToIntMaxMilliseconds() {
        for text in ["1e300", "1e16", "inf", "+Infinity", "9999999999999999999999999", "1e400", "24856h"] {
            XCTAssertEqual(DurationArgument.milliseconds(text), DurationArgument.maximumMilliseconds, text)
        }
        XCTAssertEqual(DurationArgument.maximumMilliseconds, 2_147_483_647)
        XCTAssertEqual(DurationArgument.milliseconds("-inf"), DurationArgument.minimumMilliseconds)
        XCTAssertEqual(DurationArgument.milliseconds("-1e300"), DurationArgument.minimumMilliseconds)
    }

    func testNotANumberIsInvalid() {
        for text in ["", " ", "nan", "NaN", "-nan", "abc", "1x", "5 sec", "e5", ".", "+", "1,2", "ms"] {
            XCTAssertNil(DurationArgument.milliseconds(text), text)
        }
    }

    func testClamp() {
        XCTAssertNil(DurationArgument.clamp(.nan))
        XCTAssertEqual(DurationArgument.clamp(.infinity), DurationArgument.maximumMilliseconds)
        XCTAssertEqual(DurationArgument.clamp(-.infinity), DurationArgument.minimumMilliseconds)
        XCTAssertEqual(DurationArgument.clamp(1.9), 1)
        XCTAssertEqual(DurationArgument.clamp(Double(Int64.max)), DurationArgument.maximumMilliseconds)
    }

    /// Every result fits the timer arithmetic (`TimeAmount.milliseconds` multiplies by 10^6).
    func testNoInputLeavesTheBounds() {
        let pieces = ["1", "9", "e", "E", "+", "-", ".", "300", "inf", "nan", " ", "ms", "h", "0x1p3", "\u{0}", "٣"]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5_000 {
            let text = (0..<Int.random(in: 0...6, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined()
            guard let value = DurationArgument.milliseconds(text) else { continue }
            XCTAssertTrue((DurationArgument.minimumMilliseconds...DurationArgument.maximumMilliseconds).contains(value), text)
            _ = Int64(value).multipliedReportingOverflow(by: 1_000_000)
        }
    }
}
