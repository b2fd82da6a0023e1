import XCTest

@testable import PBX

/// The byte-level tokenizer of `$[...]` (`ast_expr2.fl`); `DialplanSubstitutionTests.testExpressions`
/// covers the evaluator.
final class DialplanExpressionTests: XCTestCase {
    private typealias Token = DialplanExpression.Token

    func testTwoByteOperatorsWinOverTheirFirstByte() {
        XCTAssertEqual(
            DialplanExpression.tokenize("a==b||c&&d=~e~~f>=g<=h!=i::j"),
            [
                .value(.string("a")), .op(.equal), .value(.string("b")), .op(.or), .value(.string("c")), .op(.and),
                .value(.string("d")), .op(.regexMatch), .value(.string("e")), .op(.concatenate), .value(.string("f")),
                .op(.greaterOrEqual), .value(.string("g")), .op(.lessOrEqual), .value(.string("h")), .op(.notEqual),
                .value(.string("i")), .op(.elseSeparator), .value(.string("j")),
            ])
        XCTAssertEqual(
            DialplanExpression.tokenize("=|&><!:+-*/%?,()"),
            [
                .op(.equal), .op(.or), .op(.and), .op(.greater), .op(.less), .op(.not), .op(.anchoredMatch), .op(.plus),
                .op(.minus), .op(.times), .op(.divide), .op(.modulo), .op(.question), .op(.comma), .op(.open), .op(.close),
            ])
    }

    func testBlanksSeparateAndOtherBytesAreSkipped() {
        XCTAssertEqual(DialplanExpression.tokenize(" \t\r\n"), [])
        // A lone `~`, `` ` ``, `{`, `}`, `[`, `]` and control bytes are not tokens (flex echoes them).
        XCTAssertEqual(DialplanExpression.tokenize("1~`{}[]\u{0}2"), [.value(.numericString("1")), .value(.numericString("2"))])
        XCTAssertEqual(DialplanExpression.evaluate("1 ~+ 2"), "3")
    }

    func testWordBytes() {
        XCTAssertEqual(DialplanExpression.tokenize("a.';\\_^#@9"), [.value(.string("a.';\\_^#@9"))])
        // `$` belongs to a word unless `{` follows it.
        XCTAssertEqual(DialplanExpression.tokenize("a$b$"), [.value(.string("a$b$"))])
        XCTAssertEqual(DialplanExpression.tokenize("a${b}"), [.value(.string("a")), .value(.string("b"))])
        // Bytes above 0x7f are word bytes: a multi-byte character never splits.
        XCTAssertEqual(DialplanExpression.tokenize("caffè=€5"), [.value(.string("caffè")), .op(.equal), .value(.string("€5"))])
        XCTAssertEqual(DialplanExpression.evaluate("caffè = caffè"), "1")
    }

    func testNumericWords() {
        XCTAssertEqual(DialplanExpression.tokenize("12 1.5"), [.value(.numericString("12")), .value(.numericString("1.5"))])
        XCTAssertEqual(
            DialplanExpression.tokenize("1. .5 1.2.3 1a"),
            [.value(.string("1.")), .value(.string(".5")), .value(.string("1.2.3")), .value(.string("1a"))])
    }

    func testQuotedStringsKeepTheirQuotes() {
        XCTAssertEqual(DialplanExpression.tokenize("\"a (b)\" = x"), [.value(.string("\"a (b)\"")), .op(.equal), .value(.string("x"))])
        XCTAssertEqual(DialplanExpression.tokenize("\"\""), [.value(.string("\"\""))])
        // An unterminated quote is skipped and the rest is read as usual.
        XCTAssertEqual(DialplanExpression.tokenize("\"1 + 2"), [.value(.numericString("1")), .op(.plus), .value(.numericString("2"))])
        XCTAssertEqual(DialplanExpression.evaluate("\"1 + 2"), "3")
    }

    /// Bytes, not Swift `Character`s (as flex): a combining mark after a blank or an operator is a word
    /// of its own and does not swallow them (the `Character`-based tokenizer read `" \u{301}"` as one word).
    func testCombiningMarksDoNotMergeWithTheByteBefore() {
        XCTAssertEqual(DialplanExpression.tokenize("1 \u{301}"), [.value(.numericString("1")), .value(.string("\u{301}"))])
        XCTAssertEqual(
            DialplanExpression.tokenize("1 +\u{301} 2"),
            [.value(.numericString("1")), .op(.plus), .value(.string("\u{301}")), .value(.numericString("2"))])
    }

    func testLongExpressionsEvaluate() {
        XCTAssertEqual(DialplanExpression.evaluate(String(repeating: "1+", count: 20_000) + "1"), "20001")
        XCTAssertEqual(DialplanExpression.evaluate(String(repeating: "a ~~ ", count: 500) + "a"), String(repeating: "a", count: 501))
    }
}
