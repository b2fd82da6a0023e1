import PBX
import XCTest

final class ChannelVariablesTests: XCTestCase {
    func testOrderIsFirstSetAndReplacementKeepsPlace() {
        var variables = ChannelVariables()
        variables.set("A", "1")
        variables.set("__B", "2")
        variables.set("C", "3")
        variables.set("B", "two")
        XCTAssertEqual(variables.entries.map(\.name), ["A", "B", "C"], "replacing by base name keeps the first place")
        XCTAssertEqual(variables["__B"], "two")
        variables.remove("_A")
        XCTAssertEqual(variables.entries.map(\.name), ["B", "C"])
        XCTAssertNil(variables["A"])
        variables.set("A", "again")
        XCTAssertEqual(variables.entries.map(\.name), ["B", "C", "A"], "a removed variable set again goes last")
    }

    func testCountLimitRefusesNewNamesButAllowsReplacement() {
        let limits = ChannelVariables.Limits(maximumCount: 3, maximumNameLength: 8, maximumValueLength: 4)
        var variables = ChannelVariables()
        for name in ["A", "B", "C"] { XCTAssertTrue(variables.set(name, "v", limits: limits)) }
        XCTAssertFalse(variables.set("D", "v", limits: limits), "a fourth name is refused")
        XCTAssertNil(variables["D"])
        XCTAssertTrue(variables.set("_A", "w", limits: limits), "replacing an existing name is always possible")
        XCTAssertEqual(variables.count, 3)
    }

    func testNameAndValueLengthLimits() {
        let limits = ChannelVariables.Limits(maximumCount: 10, maximumNameLength: 4, maximumValueLength: 3)
        var variables = ChannelVariables()
        XCTAssertFalse(variables.set("TOOLONG", "v", limits: limits))
        XCTAssertFalse(variables.set("A", "long", limits: limits))
        XCTAssertTrue(variables.set("A", "abc", limits: limits))
        XCTAssertFalse(variables.set("A", "abcd", limits: limits), "a too-long value leaves the old one")
        XCTAssertEqual(variables["A"], "abc")
        XCTAssertNotNil(limits.refusal(name: "A", value: "abcd"))
        XCTAssertNil(limits.refusal(name: "A", value: "abc"))
        XCTAssertEqual(ChannelVariables.Limits(maximumCount: 250).maximumRequested, 250 - ChannelVariables.Limits.engineReserve)
    }

    func testManyVariablesAreCheapAndBounded() {
        // The variable bomb of issue 9: 7,680 names. Set one by one they stop at the cap, each in O(1).
        var variables = ChannelVariables()
        var stored = 0
        for index in 0..<7680 where variables.set("V\(index)", String(index)) { stored += 1 }
        XCTAssertEqual(stored, ChannelVariables.Limits.defaultCount)
        XCTAssertEqual(variables.count, ChannelVariables.Limits.defaultCount)
        XCTAssertEqual(variables["V0"], "0")
        XCTAssertNil(variables["V7679"])
    }

    func testInheritanceKeepsOrder() {
        var variables = ChannelVariables()
        variables.set("__Z", "1")
        variables.set("PLAIN", "x")
        variables.set("_Y", "2")
        variables.set("__A", "3")
        XCTAssertEqual(variables.inherited().entries.map(\.name), ["__Z", "Y", "__A"])
        XCTAssertEqual(variables.inherited(), variables.inherited())
    }
}
