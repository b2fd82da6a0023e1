import Foundation
import XCTest

@testable import PBX

/// Inputs the FuzzDialplan target (Fuzz/, scripts/fuzz.sh) found to stall or crash; each is also
/// kept in Fuzz/Regressions/FuzzDialplan/.
final class FuzzRegressionTests: XCTestCase {
    /// How long one expression may take before it counts as a stall: a wide liveness bound, not a
    /// performance figure (the expression takes microseconds once regexes cannot backtrack).
    static let livenessBound: TimeInterval = 10

    /// `$[a : b]` / `$[a =~ b]` compiled `b` with NSRegularExpression, which backtracks: `(a+)+$`
    /// against 40 `a`s and a `!` runs for minutes (exponential) on the engine's loop. The text of an
    /// expression is substituted first, so an AMI client reaches it through a variable, e.g.
    /// `Variable: C2C_TIMEOUT=aaaa…!\" : \"(a+)+$` (AMI unescapes the quotes) in the c2c context's `$["${C2C_TIMEOUT}" != ""]`.
    func testCatastrophicRegexDoesNotStall() {
        let payload = String(repeating: "a", count: 40) + "!\" : \"(a+)+$"
        let variables = DialplanVariables(["C2C_TIMEOUT": payload])
        let finished = DispatchSemaphore(value: 0)
        // On its own thread, so a stall fails this test instead of hanging the suite.
        let worker = Thread {
            _ = DialplanSubstitution.substitute("$[\"${C2C_TIMEOUT}\" != \"\"]", variables: variables)
            _ = DialplanExpression.evaluate("\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!\" =~ \"(a|aa)+$\"")
            finished.signal()
        }
        worker.start()
        XCTAssertEqual(
            finished.wait(timeout: .now() + Self.livenessBound), .success,
            "a backtracking regex in $[...] did not finish within \(Self.livenessBound) s")
    }

    /// FuzzDialplan: `$[...]` is parsed by recursive descent with no nesting bound, so 4,000 nested
    /// parentheses overflowed the stack under ASan (each level is several frames). Asterisk's bison
    /// parser stops at YYMAXDEPTH (10,000) with a syntax error. Deep nesting must give a value
    /// (the number, or 0 for a refused expression), never a crash.
    func testDeeplyNestedExpressionDoesNotOverflowTheStack() {
        let depth = 100_000
        let expression = String(repeating: "(", count: depth) + "1" + String(repeating: ")", count: depth)
        XCTAssertTrue(["0", "1"].contains(DialplanExpression.evaluate(expression)))
        XCTAssertTrue(["0", "1"].contains(DialplanSubstitution.substitute("$[" + expression + "]", variables: DialplanVariables())))
    }
}
