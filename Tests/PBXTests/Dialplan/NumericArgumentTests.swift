import XCTest

@testable import PBX

/// Numbers a peer can put into dialplan arguments (through Originate variables, `Data:` or a
/// channel variable): none of them may trap, whatever its size.
final class NumericArgumentTests: XCTestCase {
    func testDialTimeoutAsAppDialReadsIt() {
        XCTAssertEqual(DialArguments("PJSIP/100,30").timeoutMilliseconds, 30_000)
        XCTAssertEqual(DialArguments("PJSIP/100,1.5").timeoutMilliseconds, 1_500)
        XCTAssertEqual(DialArguments("PJSIP/100,1.5").timeout, 1)
        XCTAssertEqual(DialArguments("PJSIP/100,20^5").timeoutMilliseconds, 20_000)
        XCTAssertEqual(DialArguments("PJSIP/100,30abc").timeoutMilliseconds, 30_000, "sscanf %lf ignores what follows")
        for huge in ["99999999999999999999", "1e300", "inf", "9223372036854775807"] {
            XCTAssertEqual(DialArguments("PJSIP/100,\(huge)").timeoutMilliseconds, DurationArgument.maximumMilliseconds, huge)
        }
        for forever in ["", "0", "-5", "nan", "abc", "-1e300", "^5"] {
            XCTAssertNil(DialArguments("PJSIP/100,\(forever)").timeoutMilliseconds, forever)
            XCTAssertNil(DialArguments("PJSIP/100,\(forever)").timeout, forever)
        }
    }

    func testScanIntegerSaturatesLikeACInt() {
        XCTAssertEqual(ApplicationArguments.scanInteger("99999999999999999999999"), Int(Int32.max))
        XCTAssertEqual(ApplicationArguments.scanInteger("-99999999999999999999999"), Int(Int32.min))
        XCTAssertEqual(ApplicationArguments.scanInteger("2147483648"), Int(Int32.max))
        XCTAssertEqual(ApplicationArguments.scanInteger("000000000000000000000012x"), 12)
        XCTAssertEqual(ApplicationArguments.scanInteger(" -7,"), -7)
        XCTAssertNil(ApplicationArguments.scanInteger("x1"))
        XCTAssertEqual(ApplicationArguments.leadingInteger("9".padding(toLength: 400, withPad: "9", startingAt: 0)), Int(Int32.max))
    }

    func testSubstringWithExtremeOffsets() {
        let (_, range) = DialplanSubstitution.splitSubstring("EXTEN:-99999999999999999999:-99999999999999999999")
        XCTAssertNotNil(range)
        XCTAssertEqual(DialplanSubstitution.substitute("${X:99999999999999999999}", variables: DialplanVariables(["X": "12345"])), "")
        XCTAssertEqual(
            DialplanSubstitution.substitute(
                "${X:-99999999999999999999:-99999999999999999999}",
                variables: DialplanVariables(["X": "12345"])), "")
        XCTAssertEqual(DialplanSubstitution.substitute("${X:1:-99999999999999999999}", variables: DialplanVariables(["X": "12345"])), "")
    }

    func testGotoPrioritiesBeyondAnIntAreLabelsAndRelativeJumpsCannotOverflow() throws {
        XCTAssertEqual(GotoTarget("9223372036854775807")?.priority, .label("9223372036854775807"))
        XCTAssertEqual(GotoTarget("--9223372036854775808")?.priority, .label("-9223372036854775808"))
        XCTAssertEqual(GotoTarget("+2147483647")?.priority, .relative(2_147_483_647))
        let dialplan = try DialplanParser.parse("[t]\nexten => 1,1,Goto(${P})\n same => n,NoOp(next)")
        for text in ["9223372036854775807", "+9223372036854775807", "--9223372036854775808", "-2147483648", "+2147483647"] {
            var driver = DialplanTestDriver(dialplan, context: "t", exten: "1", variables: DialplanVariables(["P": text]))
            guard case .hangup = driver.run(until: ["Never"]) else { return XCTFail(text) }
        }
        var execution = DialplanExecution(dialplan: dialplan, context: "t", exten: "1")
        execution.goto(context: "t", exten: "1", priority: Int.max)
        XCTAssertNil(execution.resolve(GotoTarget(priority: .relative(1))))
        guard case .hangup = execution.next(variables: DialplanVariables()) else { return XCTFail() }
    }

    func testExpressionsWithHugeNumbersStayFinite() {
        for expression in [
            "$[99999999999999999999 * 99999999999999999999]", "$[1 / 0]", "$[5 % 0]", "$[-99999999999999999999 - 1e308]",
            "$[${LEN(1)} * 1e308 * 1e308]",
        ] {
            _ = DialplanSubstitution.substitute(expression, variables: DialplanVariables())
        }
    }
}

/// `$[...]` nesting is bounded (FuzzDialplan found a stack overflow at 4,000 levels).
final class ExpressionNestingTests: XCTestCase {
    func testNestingUpToTheBoundEvaluates() {
        let depth = DialplanExpression.maximumNesting - 1
        XCTAssertEqual(DialplanExpression.evaluate(String(repeating: "(", count: depth) + "1+1" + String(repeating: ")", count: depth)), "2")
    }

    func testNestingBeyondTheBoundIsASyntaxError() {
        let depth = DialplanExpression.maximumNesting + 1
        XCTAssertEqual(DialplanExpression.evaluate(String(repeating: "(", count: depth) + "1" + String(repeating: ")", count: depth)), "0")
        XCTAssertEqual(DialplanExpression.evaluate(String(repeating: "LEN(", count: depth) + "x" + String(repeating: ")", count: depth)), "0")
    }

    func testLongRunsOfUnaryOperatorsDoNotRecurse() {
        XCTAssertEqual(DialplanExpression.evaluate(String(repeating: "!", count: 100_000) + "0"), "0")
        XCTAssertEqual(DialplanExpression.evaluate(String(repeating: "!", count: 100_001) + "0"), "1")
        XCTAssertEqual(DialplanExpression.evaluate(String(repeating: "-", count: 100_000) + "5"), "5")
        XCTAssertEqual(DialplanExpression.evaluate("-5"), "-5")
        XCTAssertEqual(DialplanExpression.evaluate("!-0"), "1")
    }
}
