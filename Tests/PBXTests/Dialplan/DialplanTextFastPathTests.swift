import XCTest

@testable import PBX

/// The shortcuts taken for speed (found by fuzzing, `docs/security.md`, "Fuzzing") read text exactly
/// as the character-by-character code they skip: these inputs are the ones where bytes and Swift
/// characters differ (a combining mark after a blank, CR LF, U+037E which equals `;` as a character).
final class DialplanTextFastPathTests: XCTestCase {
    func testStripTakesBlanksOffBothEndsAWholeCharacterAtATime() {
        XCTAssertEqual(DialplanFunctions.strip("  a b \t"), "a b")
        XCTAssertEqual(DialplanFunctions.strip(" \t\n\r"), "")
        XCTAssertEqual(DialplanFunctions.strip(""), "")
        XCTAssertEqual(DialplanFunctions.strip("x"), "x")
        // A space with a combining acute accent is one character, and not a blank.
        XCTAssertEqual(DialplanFunctions.strip(" \u{301}a \u{301} "), " \u{301}a \u{301}")
        XCTAssertEqual(DialplanFunctions.stripped("\tb\n"[...]), "b")
    }

    func testGotoLooksAtThreePartsAndTrimsAroundTheNumber() {
        XCTAssertEqual(GotoTarget("c,e,1,x,y,z"), GotoTarget(context: "c", exten: "e", priority: .number(1)))
        XCTAssertEqual(GotoTarget("c,e, 7\t"), GotoTarget(context: "c", exten: "e", priority: .number(7)))
        XCTAssertEqual(GotoTarget("e,+ 2 "), GotoTarget(exten: "e", priority: .relative(2)))
        XCTAssertEqual(GotoTarget(" \u{301}3"), GotoTarget(priority: .label(" \u{301}3")))
    }

    func testTextWithoutDollarIsReturnedAsItIs() {
        let variables = DialplanVariables(["A": "1"])
        for text in ["", "plain", "a\u{301}{A}", "{A}[1+2]", "\r\n"] {
            XCTAssertEqual(DialplanSubstitution.substitute(text, variables: variables), text)
        }
        XCTAssertEqual(DialplanSubstitution.substitute("x${A}", variables: variables), "x1")
        // A combining mark after `$` makes one character that is not `$`: no substitution.
        XCTAssertEqual(DialplanSubstitution.substitute("$\u{301}{A}", variables: variables), "$\u{301}{A}")
    }

    func testCommentsNeedASemicolonAsACharacter() {
        var inBlock = false
        XCTAssertEqual(DialplanParser.stripComments("exten => 1,1,NoOp(x)", inBlockComment: &inBlock), "exten => 1,1,NoOp(x)")
        XCTAssertEqual(DialplanParser.stripComments("a ; rest", inBlockComment: &inBlock), "a ")
        XCTAssertEqual(DialplanParser.stripComments("a \\; b", inBlockComment: &inBlock), "a ; b")
        // U+037E GREEK QUESTION MARK is canonically equivalent to `;`, so Swift compares it equal.
        XCTAssertEqual(DialplanParser.stripComments("a \u{37E} rest", inBlockComment: &inBlock), "a ")
        XCTAssertFalse(inBlock)
        XCTAssertEqual(DialplanParser.stripComments("a ;-- start", inBlockComment: &inBlock), "a ")
        XCTAssertTrue(inBlock)
        XCTAssertEqual(DialplanParser.stripComments("inside, no semicolon", inBlockComment: &inBlock), "")
        XCTAssertTrue(inBlock)
        XCTAssertEqual(DialplanParser.stripComments("end --; b", inBlockComment: &inBlock), " b")
        XCTAssertFalse(inBlock)
    }
}
