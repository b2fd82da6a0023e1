import Foundation
import XCTest
@testable import PBX

/// Inputs the FuzzDialplan target (Fuzz/, scripts/fuzz.sh) found to stall; each is also kept in
/// Fuzz/Regressions/FuzzDialplan/.
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
        XCTAssertEqual(finished.wait(timeout: .now() + Self.livenessBound), .success,
                       "a backtracking regex in $[...] did not finish within \(Self.livenessBound) s")
    }
}
