import PBX
import XCTest

final class NumberFieldTests: XCTestCase {
    func testParsesWholeNumbersInRange() throws {
        let port = NumberField.port()
        XCTAssertEqual(try port.parse("5060"), 5060)
        XCTAssertEqual(try port.parse("+1"), 1)
        XCTAssertEqual(try port.parse("65535"), 65_535)
        XCTAssertEqual(port.value("80"), 80)
        XCTAssertEqual(try NumberField("offset", -10...10).parse("-10"), -10)
    }

    func testRefusesGarbageAndOverflowWithTheFieldAndRange() {
        let port = NumberField.port()
        for text in ["", " 5060", "5060 ", "0", "65536", "-1", "1e3", "0x50", "99999999999999999999", "5060.0", "nan", "inf", "٥٠٦٠", "50\r\n60"] {
            XCTAssertThrowsError(try port.parse(text), text) { error in
                guard let error = error as? NumberFieldError else { return XCTFail("\(error)") }
                XCTAssertEqual(error.field, "port")
                XCTAssertTrue(error.message.contains("from 1 to 65535"), error.message)
                XCTAssertFalse(error.message.contains("\r") || error.message.contains("\n"), error.message)
            }
            XCTAssertNil(port.value(text), text)
        }
    }

    func testCheck() {
        XCTAssertNoThrow(try NumberField("strip", 0...80).check(80))
        XCTAssertThrowsError(try NumberField("strip", 0...80).check(Int.max))
        XCTAssertThrowsError(try NumberField("strip", 0...80).check(Int.min))
    }
}
