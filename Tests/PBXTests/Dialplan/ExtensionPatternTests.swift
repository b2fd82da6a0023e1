import XCTest

@testable import PBX

final class ExtensionPatternTests: XCTestCase {
    func testMatchTable() {
        let cases: [(String, String, Bool)] = [
            ("100", "100", true), ("100", "1000", false), ("100", "10", false), ("1-00", "100", true),
            ("100", "1-0-0", true), ("s", "s", true), ("_1XX", "123", true), ("_1XX", "1234", false),
            ("_1XX", "12", false), ("_1XX", "023", false), ("_X.", "0391234567", true), ("_X.", "1", false),
            ("_X.", "12", true), ("_X.", "a1", false), ("_0.", "0391234567", true), ("_0.", "0", false),
            ("_0.", "10", false), ("_N", "1", false), ("_N", "2", true), ("_n", "9", true), ("_Z", "0", false),
            ("_Z", "1", true), ("_x", "7", true), ("_[a-c1-3]", "b", true), ("_[a-c1-3]", "2", true),
            ("_[a-c1-3]", "4", false), ("_[a-c1-3]", "d", false), ("_[13-]", "-", false), ("_[13-]", "3", true),
            ("_1!", "1", true), ("_1!", "123", true), ("_1!", "2", false), ("_X!", "", false),
            ("_!", "", true), ("_.", "", false), ("_1-XX", "1-23", true), ("_1XX", "1-2-3", true),
            ("_[]1", "1", true), ("_NXXNXXXXXX", "2125551212", true), ("_NXXNXXXXXX", "1125551212", false),
            ("_+39.", "+39061234567", true), ("_*XX", "*12", true), ("_ABC", "ABC", true), ("_abc", "ABC", false),
        ]
        for (pattern, digits, expected) in cases {
            XCTAssertEqual(ExtensionPattern(pattern).matches(digits), expected, "\(pattern) vs \(digits)")
        }
    }

    func testCanMatchAndMatchMore() {
        let cases: [(String, String, canMatch: Bool, more: Bool)] = [
            ("100", "1", true, true), ("100", "100", true, false), ("100", "2", false, false),
            ("100", "", true, true), ("_1XX", "1", true, true), ("_1XX", "12", true, true),
            ("_1XX", "123", true, false), ("_1XX", "1234", false, false), ("_X.", "0", true, true),
            ("_X.", "01", true, true), ("_1!", "1", true, false), ("_1!", "", true, true), ("_0.", "5", false, false),
        ]
        for (pattern, digits, canMatch, more) in cases {
            XCTAssertEqual(ExtensionPattern(pattern).canMatch(digits), canMatch, "canMatch \(pattern) \(digits)")
            XCTAssertEqual(ExtensionPattern(pattern).matchesPrefix(digits), more, "matchMore \(pattern) \(digits)")
        }
    }

    func testOrderingPairs() {
        // (first, second): `first` is tried before `second`.
        let pairs: [(String, String)] = [
            ("100", "_1XX"), ("100", "101"), ("99", "_X."), ("_100", "_1XX"), ("_1XX", "_1X."),
            ("_1NX", "_1XX"), ("_1ZX", "_1XX"), ("_1NX", "_1ZX"), ("_[1-2]X", "_NX"), ("_[12]", "_[13]"),
            ("_12", "_1[2-3]"), ("_1X.", "_1X!"), ("_1X.", "_1X"), ("_1X!", "_1X"), ("_X.", "_."),
            ("_0X.", "_X."), ("_00X.", "_0X."), ("_[2-3]", "_[1-3]"), ("_[13]", "_[24]"), ("_XX", "_X"),
            ("_2", "_N"), ("_[0-1]", "_[2-3]"), ("_1", "_2"), ("_N.", "_X."), ("_X!", "_[0-9]"),
        ]
        for (first, second) in pairs {
            XCTAssertLessThan(ExtensionPattern(first).order(comparedTo: ExtensionPattern(second)), 0, "\(first) before \(second)")
            XCTAssertGreaterThan(ExtensionPattern(second).order(comparedTo: ExtensionPattern(first)), 0, "\(second) after \(first)")
        }
    }

    func testEquivalentNamesCompareEqual() {
        XCTAssertEqual(ExtensionPattern("_X.").order(comparedTo: ExtensionPattern("_x.")), 0)
        XCTAssertEqual(ExtensionPattern("_[0-9]").order(comparedTo: ExtensionPattern("_X")), 0)
        XCTAssertEqual(ExtensionPattern("1-00").order(comparedTo: ExtensionPattern("100")), 0)
        XCTAssertEqual(ExtensionPattern("_1-XX").order(comparedTo: ExtensionPattern("_1XX")), 0)
    }

    func testContextTriesMostSpecificFirst() {
        var context = DialplanContext(name: "t")
        for name in ["_X.", "_1XX", "_.", "_10X", "100", "_1!", "_[1-2]XX"] {
            context.add(DialplanPriority(number: 1, application: "NoOp", data: name), to: name)
        }
        XCTAssertEqual(context.extensions.map(\.name), ["100", "_10X", "_1XX", "_1!", "_[1-2]XX", "_X.", "_."])
        XCTAssertEqual(context.firstMatch(for: "100")?.name, "100")
        XCTAssertEqual(context.firstMatch(for: "101")?.name, "_10X")
        XCTAssertEqual(context.firstMatch(for: "150")?.name, "_1XX")
        XCTAssertEqual(context.firstMatch(for: "250")?.name, "_[1-2]XX")
        XCTAssertEqual(context.firstMatch(for: "1")?.name, "_1!")
        XCTAssertEqual(context.firstMatch(for: "1500")?.name, "_1!")
        XCTAssertEqual(context.firstMatch(for: "99")?.name, "_X.")
        XCTAssertEqual(context.firstMatch(for: "*9")?.name, "_.")
        XCTAssertNil(context.firstMatch(for: ""))
    }

    func testDialplanLookupPicksExtensionThatHasThePriority() {
        // Classic Asterisk search: a more specific extension without priority 2 yields to a broader one that has it.
        var context = DialplanContext(name: "t")
        context.add(DialplanPriority(number: 1, application: "NoOp", data: "specific"), to: "_1XX")
        context.add(DialplanPriority(number: 1, application: "NoOp", data: "broad"), to: "_X.")
        context.add(DialplanPriority(number: 2, application: "NoOp", data: "broad 2"), to: "_X.")
        let plan = Dialplan(contexts: [context])
        XCTAssertEqual(plan.find(context: "t", exten: "123", priority: 1)?.priority.data, "specific")
        XCTAssertEqual(plan.find(context: "t", exten: "123", priority: 2)?.priority.data, "broad 2")
        XCTAssertTrue(plan.canMatch(context: "t", exten: "12"))
        XCTAssertTrue(plan.matchesPrefix(context: "t", exten: "12"))
        XCTAssertFalse(plan.canMatch(context: "t", exten: "a"))
    }

    func testIncludesAreSearchedAfterOwnExtensionsAndLoopSafely() {
        let a = DialplanContext(
            name: "a", extensions: [DialplanExtension("_X.", priorities: [DialplanPriority(number: 1, application: "NoOp", data: "a")])],
            includes: ["b"])
        let b = DialplanContext(
            name: "b",
            extensions: [
                DialplanExtension("100", priorities: [DialplanPriority(number: 1, application: "NoOp", data: "b")]),
                DialplanExtension("s", priorities: [DialplanPriority(number: 1, application: "NoOp", data: "b-s")]),
            ],
            includes: ["a"])
        let plan = Dialplan(contexts: [a, b])
        XCTAssertEqual(plan.find(context: "a", exten: "100", priority: 1)?.priority.data, "a")
        XCTAssertEqual(plan.find(context: "a", exten: "s", priority: 1)?.context, "b")
        XCTAssertNil(plan.find(context: "a", exten: "t", priority: 1))
        XCTAssertNil(plan.find(context: "missing", exten: "100", priority: 1))
    }
}
