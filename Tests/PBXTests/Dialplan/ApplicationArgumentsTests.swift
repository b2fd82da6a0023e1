import XCTest

@testable import PBX

final class ApplicationArgumentsTests: XCTestCase {
    func testStandardSplitting() {
        let cases: [(String, [String])] = [
            ("", []),
            ("a", ["a"]),
            ("a,b", ["a", "b"]),
            ("a,", ["a", ""]),
            (",", ["", ""]),
            (",a", ["", "a"]),
            ("a,,b", ["a", "", "b"]),
            ("\"a,b\",c", ["a,b", "c"]),
            ("f(a,b),c", ["f(a,b)", "c"]),
            ("[a,b],c", ["[a,b]", "c"]),
            ("a\\,b,c", ["a,b", "c"]),
            ("a\\\\,b", ["a\\", "b"]),
            ("say \"hi\" there,x", ["say hi there", "x"]),
            ("a)b,c", ["a)b", "c"]),
            ("\"(\",x", ["(,x"]),  // parentheses count even inside quotes
            ("PJSIP/100,30", ["PJSIP/100", "30"]),
        ]
        for (input, expected) in cases {
            XCTAssertEqual(ApplicationArguments.split(input), expected, input)
        }
    }

    func testLimitKeepsRawRest() {
        XCTAssertEqual(ApplicationArguments.split("a,b,c,d", limit: 2), ["a", "b,c,d"])
        XCTAssertEqual(ApplicationArguments.split("a,\"b,c\"", limit: 2), ["a", "\"b,c\""])
        XCTAssertEqual(ApplicationArguments.split("a,b", limit: 1), ["a,b"])
        // ami-reference §1.4: at most 64 items; everything after the 63rd stays in the 64th.
        let many = (1...70).map { "V\($0)=\($0)" }.joined(separator: ",")
        let items = ApplicationArguments.split(many, limit: 64)
        XCTAssertEqual(items.count, 64)
        XCTAssertEqual(items[62], "V63=63")
        XCTAssertEqual(items[63], (64...70).map { "V\($0)=\($0)" }.joined(separator: ","))
    }

    func testVariableHeaderExamplesOfReference() {
        // ami-reference §1.4: `Variable: __TRACKID=abc,PLAIN=1`, quoted commas, escaped commas, items without `=`.
        XCTAssertEqual(
            ApplicationArguments.split("__TRACKID=abc,PLAIN=1").compactMap(SetAssignment.init).map(\.name),
            ["__TRACKID", "PLAIN"])
        let quoted = ApplicationArguments.split("A=\"x,y\",B=f(1,2),C=[3,4],D=e\\,f").compactMap(SetAssignment.init)
        XCTAssertEqual(quoted.map(\.value), ["x,y", "f(1,2)", "[3,4]", "e,f"])
        let dropped = ApplicationArguments.split("NOEQUALS,=empty,OK=1").compactMap(SetAssignment.init)
        XCTAssertEqual(dropped, [SetAssignment(name: "OK", value: "1")])
    }

    func testSetAssignment() {
        XCTAssertEqual(SetAssignment("A=1,B=2"), SetAssignment(name: "A", value: "1,B=2"))
        XCTAssertEqual(SetAssignment("A=b=c")?.value, "b=c")
        XCTAssertEqual(SetAssignment("A=")?.value, "")
        XCTAssertNil(SetAssignment("A"))
        XCTAssertNil(SetAssignment("=x"))
        XCTAssertEqual(SetAssignment("__TENANT_UUID=x")?.inheritance, .forever)
        XCTAssertEqual(SetAssignment("_X=x")?.inheritance, .oneLevel)
        XCTAssertEqual(SetAssignment("__TENANT_UUID=x")?.baseName, "TENANT_UUID")
        XCTAssertTrue(SetAssignment("CALLERID(num)=100")?.isFunction ?? false)
    }

    func testGotoTargets() {
        XCTAssertEqual(GotoTarget("internal,100,1"), GotoTarget(context: "internal", exten: "100", priority: .number(1)))
        XCTAssertEqual(GotoTarget("100,2"), GotoTarget(exten: "100", priority: .number(2)))
        XCTAssertEqual(GotoTarget("3"), GotoTarget(priority: .number(3)))
        XCTAssertEqual(GotoTarget("dial"), GotoTarget(priority: .label("dial")))
        XCTAssertEqual(GotoTarget("c,s,start"), GotoTarget(context: "c", exten: "s", priority: .label("start")))
        XCTAssertEqual(GotoTarget("+2"), GotoTarget(priority: .relative(2)))
        XCTAssertEqual(GotoTarget("-1"), GotoTarget(priority: .relative(-1)))
        XCTAssertEqual(GotoTarget("c,e,1,extra"), GotoTarget(context: "c", exten: "e", priority: .number(1)))
        XCTAssertEqual(GotoTarget(" 4 "), GotoTarget(priority: .number(4)))
        XCTAssertNil(GotoTarget(""))
    }

    func testGotoIfConditions() {
        let both = GotoIfCondition("1?yes:no")
        XCTAssertEqual(both.branch, "yes")
        XCTAssertEqual(GotoIfCondition("0?yes:no").branch, "no")
        XCTAssertEqual(GotoIfCondition("?yes:no").branch, "no")
        XCTAssertEqual(GotoIfCondition("abc?yes:no").branch, "yes")
        XCTAssertEqual(GotoIfCondition("0abc?yes:no").branch, "no")
        XCTAssertEqual(GotoIfCondition(" 2?yes").branch, "yes")
        XCTAssertNil(GotoIfCondition("0?yes").branch)
        XCTAssertEqual(GotoIfCondition("1?internal,100,1:2").ifTrue, "internal,100,1")
        XCTAssertEqual(GotoIfCondition("1?internal,100,1:2").ifFalse, "2")
        XCTAssertEqual(GotoIfCondition("0?:c,s,1").branch, "c,s,1")
    }

    func testDialArguments() {
        let dial = DialArguments("PJSIP/100&PJSIP/391234567@carrier,30,tL(60000:30000)g,http://x")
        XCTAssertEqual(
            dial.targets,
            [
                DialArguments.Target(technology: "PJSIP", resource: "100"),
                DialArguments.Target(technology: "PJSIP", resource: "391234567@carrier"),
            ])
        XCTAssertEqual(dial.targets[1].endpoint, "carrier")
        XCTAssertEqual(dial.targets[1].number, "391234567")
        XCTAssertEqual(dial.targets[0].endpoint, "100")
        XCTAssertNil(dial.targets[0].number)
        XCTAssertEqual(dial.timeout, 30)
        XCTAssertEqual(dial.options.map(\.letter), ["t", "L", "g"])
        XCTAssertEqual(dial.option("L")?.argument, "60000:30000")
        XCTAssertEqual(dial.url, "http://x")
        XCTAssertNil(DialArguments("PJSIP/100").timeout)
        XCTAssertNil(DialArguments("PJSIP/100,0").timeout)
        XCTAssertNil(DialArguments("PJSIP/100,abc").timeout)
        XCTAssertEqual(DialArguments("PJSIP/100,,m(x(y))").options, [DialArguments.Option(letter: "m", argument: "x(y)")])
        XCTAssertEqual(DialArguments("nodash&PJSIP/1").targets.count, 1)
    }
}
