import PBX
import XCTest

final class PlainTextTests: XCTestCase {
    func testPlainText() {
        for text in ["Alice", "", "Zoë Müller", "O'Brien & Co.", "日本語", "a\u{00A0}b"] {
            XCTAssertTrue(PlainText.isPlain(text), text)
            XCTAssertNil(PlainText.problem(in: text))
        }
    }

    func testRefusesEveryControlCharacter() {
        for value in Array(0x00...0x1F) + Array(0x7F...0x9F) + [0x2028, 0x2029] {
            let scalar = Unicode.Scalar(UInt32(value))!
            let text = "Alice" + String(Character(scalar)) + "X-Injected: yes"
            XCTAssertFalse(PlainText.isPlain(text), "U+\(String(value, radix: 16))")
            XCTAssertEqual(PlainText.firstControlCharacter(in: text), scalar)
        }
        XCTAssertEqual(PlainText.problem(in: "Alice\r\nX: y"), "contains a control character (U+000D)")
        XCTAssertEqual(PlainText.problem(in: "a\u{0}"), "contains a control character (U+0000)")
    }

    func testTabOnlyWhereAllowed() {
        XCTAssertFalse(PlainText.isPlain("a\tb"))
        XCTAssertTrue(PlainText.isPlain("a\tb", allowingTab: true))
        XCTAssertFalse(PlainText.isPlain("a\t\nb", allowingTab: true))
    }

    func testQuotedNeverCarriesAControlCharacter() {
        XCTAssertEqual(PlainText.quoted("Alice\r\nX-Injected: yes"), "'Alice\\r\\nX-Injected: yes'")
        XCTAssertEqual(PlainText.quoted("a\u{0}b\u{85}"), "'a\\u{0}b\\u{85}'")
        XCTAssertTrue(PlainText.isPlain(PlainText.quoted("\u{1B}[31m\u{2028}")))
    }
}
