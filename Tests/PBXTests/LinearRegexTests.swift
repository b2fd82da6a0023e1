import Foundation
import XCTest

@testable import PBX

final class LinearRegexTests: XCTestCase {
    func matches(_ pattern: String, _ subject: String, file: StaticString = #filePath, line: UInt = #line) -> Bool {
        do {
            return try LinearRegex(pattern).matches(subject)
        } catch {
            XCTFail("'\(pattern)' did not compile: \(error)", file: file, line: line)
            return false
        }
    }

    func refused(_ pattern: String) -> Bool {
        (try? LinearRegex(pattern)) == nil
    }

    func testLiteralsSearchAnywhere() {
        XCTAssertTrue(matches("carrier", "PJSIP/carrier-00000001"))
        XCTAssertTrue(matches("^PJSIP/carrier-", "PJSIP/carrier-00000001"))
        XCTAssertFalse(matches("^carrier", "PJSIP/carrier-00000001"))
        XCTAssertTrue(matches("0001$", "PJSIP/carrier-00000001"))
        XCTAssertFalse(matches("0000$", "PJSIP/carrier-00000001"))
        XCTAssertTrue(matches("^$", ""))
        XCTAssertFalse(matches("^$", "x"))
        XCTAssertTrue(matches("", "anything"), "an empty pattern matches every subject")
    }

    func testDotBracketsAndClasses() {
        XCTAssertTrue(matches("^Local/1.0@", "Local/100@c2c-1234;1"))
        XCTAssertTrue(matches("^PJSIP/[0-9]+-[0-9a-f]{8}$", "PJSIP/100-0000abcd"))
        XCTAssertFalse(matches("^PJSIP/[0-9]+-[0-9a-f]{8}$", "PJSIP/100-0000abcg"))
        XCTAssertTrue(matches("[^0-9]", "123a"))
        XCTAssertFalse(matches("^[^0-9]+$", "12"))
        XCTAssertTrue(matches("[[:alpha:]][[:digit:]]", "x1"))
        XCTAssertTrue(matches("[]a]", "]"), "']' first in a bracket is a member")
        XCTAssertTrue(matches("[a-]", "-"), "'-' last in a bracket is a member")
        XCTAssertTrue(matches("[\\]", "\\"), "a backslash inside brackets is literal (POSIX)")
        XCTAssertTrue(matches(";1$", "Local/100@c2c-1234;1"))
    }

    func testRepetitionAlternationGroups() {
        XCTAssertTrue(matches("^(ab)+$", "ababab"))
        XCTAssertFalse(matches("^(ab)+$", "ababa"))
        XCTAssertTrue(matches("^a?b$", "b"))
        XCTAssertTrue(matches("^(100|101)$", "101"))
        XCTAssertFalse(matches("^(100|101)$", "102"))
        XCTAssertTrue(matches("^a{2,3}$", "aaa"))
        XCTAssertFalse(matches("^a{2,3}$", "aaaa"))
        XCTAssertFalse(matches("^a{2,3}$", "a"))
        XCTAssertTrue(matches("^a{2,}$", "aaaaaa"))
        XCTAssertTrue(matches("^a{2}$", "aa"))
        XCTAssertTrue(matches("^(a|)$", ""))
        XCTAssertTrue(matches("^()*x$", "x"), "a loop over an empty match ends")
        XCTAssertTrue(matches("^(a*)*$", "aaaa"))
        XCTAssertTrue(matches("\\.", "a.b"))
        XCTAssertFalse(matches("\\.", "ab"))
        XCTAssertTrue(matches("\\/", "a/b"))
    }

    func testCatastrophicPatternsRunInLinearTime() {
        // Exponential for a backtracking matcher: these return at once here.
        let subject = String(repeating: "a", count: LinearRegex.Limits.defaultSubjectLength)
        XCTAssertFalse(matches("^(.*)*(.*)*X$", subject))
        XCTAssertFalse(matches("^(a+)+$", subject + "!"))
        XCTAssertFalse(matches("^(a|aa)*b$", subject))
        XCTAssertFalse(matches("(a*)*(a*)*(a*)*(a*)*c", subject))
        XCTAssertTrue(matches("^(.*)*(.*)*a$", subject))
    }

    func testUnsupportedOrMalformedSyntaxIsRefused() {
        for pattern in [
            "(a)\\1", "\\w+", "\\bfoo", "\\<x", "a\\", "(ab", "ab)", "[ab", "[z-a]", "*a", "a|*b", "(+a)",
            "a{3,2}", "a{x}", "a{2", "[[.a.]]", "[[=a=]]", "[[:nosuch:]]", "^*", "a{999}",
            String(repeating: "(", count: 40) + "a" + String(repeating: ")", count: 40),
        ] {
            XCTAssertTrue(refused(pattern), "'\(pattern)' must be refused")
        }
    }

    func testLimits() throws {
        XCTAssertTrue(refused(String(repeating: "a", count: LinearRegex.Limits.defaultPatternLength + 1)))
        XCTAssertFalse(refused(String(repeating: "a", count: LinearRegex.Limits.defaultPatternLength)))
        XCTAssertTrue(refused("(abcdefgh){100}"), "bounded repetition may not blow the program up")
        let regex = try LinearRegex("a")
        XCTAssertTrue(regex.matches(String(repeating: "a", count: LinearRegex.Limits.defaultSubjectLength)))
        XCTAssertFalse(
            regex.matches(String(repeating: "a", count: LinearRegex.Limits.defaultSubjectLength + 1)),
            "a subject over the limit is never examined")
        let small = try LinearRegex("a", limits: .init(maximumPatternLength: 4, maximumSubjectLength: 2, maximumProgramSize: 8))
        XCTAssertFalse(small.matches("bba"))
        XCTAssertThrowsError(try LinearRegex("aaaaa", limits: small.limits))
    }

    /// Random patterns of the supported subset agree with ICU's (backtracking) engine on short subjects.
    func testAgreesWithFoundationOnRandomPatterns() throws {
        var generator = RegexTestRandom(seed: 0x5EED)
        let alphabet = ["a", "b", "."]
        func atom(_ depth: Int) -> String {
            switch Int.random(in: 0..<7, using: &generator) {
            case 0: return "[ab]"
            case 1: return "[^a]"
            case 2 where depth < 3: return "(" + expression(depth + 1) + ")"
            default: return alphabet.randomElement(using: &generator)!
            }
        }
        func piece(_ depth: Int) -> String {
            let base = atom(depth)
            switch Int.random(in: 0..<8, using: &generator) {
            case 0: return base + "*"
            case 1: return base + "+"
            case 2: return base + "?"
            case 3: return base + "{1,2}"
            default: return base
            }
        }
        func expression(_ depth: Int) -> String {
            var branches: [String] = []
            for _ in 0..<Int.random(in: 1...2, using: &generator) {
                branches.append((0..<Int.random(in: 1...3, using: &generator)).map { _ in piece(depth) }.joined())
            }
            return branches.joined(separator: "|")
        }
        for _ in 0..<400 {
            var pattern = expression(0)
            if Bool.random(using: &generator) { pattern = "^" + pattern }
            if Bool.random(using: &generator) { pattern += "$" }
            let ours = try LinearRegex(pattern)
            let icu = try NSRegularExpression(pattern: pattern)
            for _ in 0..<10 {
                let subject = String((0..<Int.random(in: 0...6, using: &generator)).map { _ in "abc".randomElement(using: &generator)! })
                let expected = icu.firstMatch(in: subject, range: NSRange(location: 0, length: subject.utf16.count)) != nil
                XCTAssertEqual(ours.matches(subject), expected, "/\(pattern)/ on '\(subject)'")
            }
        }
    }
}

extension LinearRegexTests {
    func first(_ pattern: String, _ subject: String, anchored: Bool = false) throws -> (Range<Int>, Range<Int>?)? {
        try LinearRegex(pattern).firstMatch(in: subject, anchoredAtStart: anchored).map { ($0.range, $0.firstGroup) }
    }

    func testFirstMatchPositionsAndGroup() throws {
        XCTAssertEqual(try first("0(.*)", "0391234567")?.1, 1..<10)
        XCTAssertEqual(try first("039", "0391234567", anchored: true)?.0, 0..<3)
        XCTAssertNil(try first("b", "abc", anchored: true))
        XCTAssertEqual(try first("b", "abc")?.0, 1..<2)
        XCTAssertEqual(try first("(a|ab)(c|bcd)", "abcd")?.0, 0..<4, "leftmost-first, as ICU: a then bcd")
        XCTAssertEqual(try first("(a|ab)(c|bcd)", "abcd")?.1, 0..<1)
        XCTAssertEqual(try first("(a)*b", "aab")?.1, 1..<2, "a repeated group reports its last iteration")
        XCTAssertEqual(try first("x(y)?z", "xz")?.1, nil, "a group that did not take part")
        XCTAssertEqual(try first("a*", "bbb")?.0, 0..<0, "an empty match at the start")
        XCTAssertEqual(try LinearRegex("(a)(b)").groupCount, 2)
        let long = String(repeating: "a", count: 40) + "!"
        XCTAssertNil(try first("(a+)+$", long), "exponential for a backtracking matcher, immediate here")
        XCTAssertNil(try first("(a|aa)+$", long))
    }

    /// Leftmost-first positions (match and group 1) agree with ICU on random patterns and subjects.
    func testFirstMatchAgreesWithFoundation() throws {
        var generator = RegexTestRandom(seed: 0xF1257)
        func atom(_ depth: Int) -> String {
            switch Int.random(in: 0..<6, using: &generator) {
            case 0: return "[ab]"
            case 1 where depth < 2: return "(" + expression(depth + 1) + ")"
            default: return ["a", "b", "."].randomElement(using: &generator)!
            }
        }
        func piece(_ depth: Int) -> String {
            let base = atom(depth)
            switch Int.random(in: 0..<7, using: &generator) {
            case 0: return base + "*"
            case 1: return base + "+"
            case 2: return base + "?"
            default: return base
            }
        }
        func expression(_ depth: Int) -> String {
            (0..<Int.random(in: 1...2, using: &generator)).map { _ in
                (0..<Int.random(in: 1...3, using: &generator)).map { _ in piece(depth) }.joined()
            }.joined(separator: "|")
        }
        var compared = 0
        for _ in 0..<400 {
            let pattern = expression(0)
            // ICU and POSIX differ on empty iterations of nested loops (`(a*)*`); compare the rest.
            if pattern.contains("*)*") || pattern.contains("?)*") || pattern.contains("*)+") || pattern.contains("?)+") { continue }
            let ours = try LinearRegex(pattern)
            let icu = try NSRegularExpression(pattern: pattern)
            for _ in 0..<8 {
                let subject = String((0..<Int.random(in: 0...6, using: &generator)).map { _ in "abc".randomElement(using: &generator)! })
                let expected = icu.firstMatch(in: subject, range: NSRange(location: 0, length: subject.utf16.count))
                let got = ours.firstMatch(in: subject)
                XCTAssertEqual(
                    got.map { NSRange(location: $0.range.lowerBound, length: $0.range.count) }, expected?.range,
                    "/\(pattern)/ on '\(subject)'")
                if let expected, icu.numberOfCaptureGroups > 0, !Self.firstGroupIsRepeated(pattern) {
                    let group = expected.range(at: 1)
                    let expectedGroup = group.location == NSNotFound ? nil : group.location..<(group.location + group.length)
                    XCTAssertEqual(got?.firstGroup, expectedGroup, "group 1 of /\(pattern)/ on '\(subject)'")
                }
                compared += 1
            }
        }
        XCTAssertGreaterThan(compared, 1000)
    }

    /// Whether group 1 carries a quantifier: ICU then reports an empty last iteration where a POSIX/RE2
    /// matcher does not take one, so only the match range is compared.
    static func firstGroupIsRepeated(_ pattern: String) -> Bool {
        let bytes = Array(pattern.utf8)
        guard let open = bytes.firstIndex(of: UInt8(ascii: "(")) else { return false }
        var depth = 0
        for index in open..<bytes.count {
            if bytes[index] == UInt8(ascii: "(") { depth += 1 }
            if bytes[index] == UInt8(ascii: ")") {
                depth -= 1
                if depth == 0 {
                    return index + 1 < bytes.count && [UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "?")].contains(bytes[index + 1])
                }
            }
        }
        return false
    }
}

/// A small deterministic generator for reproducible random tests.
struct RegexTestRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
