import XCTest

@testable import PBX

final class DialplanSubstitutionTests: XCTestCase {
    private let vars = DialplanVariables(
        [
            "EXTEN": "0391234567", "__TRACKID": "abc", "EMPTY": "", "N": "5", "NAME": "C2C_SRC",
            "C2C_SRC": "100",
        ],
        callerIDNumber: "100", callerIDName: "Mario Rossi")

    private func sub(_ text: String) -> String { DialplanSubstitution.substitute(text, variables: vars) }

    func testVariablesAndSubstrings() {
        XCTAssertEqual(sub("PJSIP/${EXTEN}"), "PJSIP/0391234567")
        XCTAssertEqual(sub("${EXTEN:1}"), "391234567")
        XCTAssertEqual(sub("${EXTEN:-4}"), "4567")
        XCTAssertEqual(sub("${EXTEN:1:3}"), "391")
        XCTAssertEqual(sub("${EXTEN:-4:2}"), "45")
        XCTAssertEqual(sub("${EXTEN:0:-3}"), "0391234")
        XCTAssertEqual(sub("${EXTEN:2:-3}"), "91234")
        XCTAssertEqual(sub("${EXTEN:20}"), "")
        XCTAssertEqual(sub("${EXTEN:-20}"), "0391234567")
        XCTAssertEqual(sub("${EXTEN:x}"), "0391234567")
        XCTAssertEqual(sub("${EXTEN::3}"), "0391234567")
        XCTAssertEqual(sub("${UNSET}x"), "x")
        XCTAssertEqual(sub("${TRACKID}/${trackid}"), "abc/abc")
        XCTAssertEqual(sub("${${NAME}}"), "100")
        XCTAssertEqual(sub("$5 and $ alone and ${"), "$5 and $ alone and ")
        XCTAssertEqual(sub("no vars"), "no vars")
    }

    func testFunctions() {
        XCTAssertEqual(sub("${CALLERID(num)}"), "100")
        XCTAssertEqual(sub("${CALLERID(name)}"), "Mario Rossi")
        XCTAssertEqual(sub("${CALLERID(num):1}"), "00")
        XCTAssertEqual(sub("${LEN(${EXTEN})}"), "10")
        XCTAssertEqual(sub("${LEN()}"), "0")
        XCTAssertEqual(sub("${UNKNOWNFUNC(x)}"), "")
        XCTAssertEqual(sub("${IF($[${N} > 3]?big:small)}"), "big")
        XCTAssertEqual(sub("${IF($[${N} > 9]?big:small)}"), "small")
        XCTAssertEqual(sub("${IF(1?yes)}"), "yes")
        XCTAssertEqual(sub("${IF(0?yes)}"), "")
        XCTAssertEqual(sub("${ISNULL(${EMPTY})}${EXISTS(${N})}"), "11")
    }

    func testReferenceC2CTimeoutExpression() {
        let data = "PJSIP/${EXTEN},${IF($[\"${C2C_TIMEOUT}\" != \"\"]?${C2C_TIMEOUT}:30)}"
        XCTAssertEqual(DialplanSubstitution.substitute(data, variables: DialplanVariables(["EXTEN": "100"])), "PJSIP/100,30")
        XCTAssertEqual(
            DialplanSubstitution.substitute(data, variables: DialplanVariables(["EXTEN": "100", "C2C_TIMEOUT": "12"])),
            "PJSIP/100,12")
    }

    func testExpressions() {
        let cases: [(String, String)] = [
            ("1 + 2", "3"), ("2 * 3 + 4", "10"), ("2 * (3 + 4)", "14"), ("7 / 2", "3.5"), ("7 % 3", "1"),
            ("-3 + 1", "-2"), ("10 - 4 - 3", "3"), ("1 / 0", "2147483647"),
            ("3 = 3", "1"), ("3 == 3", "1"), ("3 != 3", "0"), ("3 < 10", "1"), ("3 > 10", "0"), ("10 <= 10", "1"), ("9 >= 10", "0"),
            ("abc = abc", "1"), ("abc < abd", "1"), ("\"3\" = 3", "0"), ("\"abc\" = \"abc\"", "1"), ("\"\" = \"\"", "1"),
            ("10 < 9", "0"), ("10 < 9a", "1"),
            ("0 | 5", "5"), ("3 | 5", "3"), ("\"\" | x", "\"\""), ("1 & 0", "0"), ("4 & 5", "4"), ("1 || 0", "1"), ("1 && 2", "1"),
            ("!0", "1"), ("!5", "0"), ("!abc", "1"), ("! 1 = 1", "0"),
            ("1 ? a :: b", "a"), ("0 ? a :: b", "b"), ("\"\" ? a :: b", "b"), ("x ? a :: b", "a"),
            ("1 + 2 = 3", "1"), ("1 = 1 & 2 = 2", "1"), ("1 = 2 | 2 = 2", "1"),
            ("abc + 1", "1"), ("abc * 2", "0"),
            ("\"0391234567\" : \"0(.*)\"", "391234567"), ("0391234567 : 039", "3"), ("391234567 : \"0(.*)\"", ""),
            ("abc : b", "0"), ("abc =~ b", "1"), ("a ~~ b", "ab"),
            ("", ""), ("( 1", "0"), ("1 +", "0"), ("LEN(abcd) + 1", "5"),
        ]
        for (expression, expected) in cases {
            XCTAssertEqual(DialplanExpression.evaluate(expression), expected, expression)
        }
    }

    func testExpressionsThroughSubstitution() {
        XCTAssertEqual(sub("$[${N} + 1]"), "6")
        XCTAssertEqual(sub("$[\"${EMPTY}\" = \"\"]"), "1")
        XCTAssertEqual(sub("$[${LEN(${EXTEN})} > 4]"), "1")
        XCTAssertEqual(sub("$[$[1 + 1] * 3]"), "6")
        XCTAssertEqual(sub("$[${EXTEN:0:1} = 0]"), "1")
        XCTAssertEqual(sub("$[${CALLERID(num)} = 100 & ${N} = 5]"), "1")
        XCTAssertEqual(sub("x$[1+1]y"), "x2y")
    }

    func testSubstringMatchesAsterisk() {
        XCTAssertEqual(DialplanSubstitution.substring("abcdef", offset: 0, length: Int(Int32.max)), "abcdef")
        XCTAssertEqual(DialplanSubstitution.substring("abcdef", offset: -2, length: Int(Int32.max)), "ef")
        XCTAssertEqual(DialplanSubstitution.substring("abcdef", offset: 1, length: -1), "bcde")
        XCTAssertEqual(DialplanSubstitution.substring("abcdef", offset: 4, length: -3), "")
        XCTAssertEqual(DialplanSubstitution.substring("abcdef", offset: 0, length: 0), "")
    }
}
