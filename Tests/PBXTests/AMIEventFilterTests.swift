import XCTest

@testable import PBX

/// Asterisk 20's own filter tests (main/manager.c `eventfilter_test_creation` and
/// `eventfilter_test_matching`), then the legacy fast paths against the regex they replace.
final class AMIEventFilterTests: XCTestCase {
    static let newchannel = "Event: Newchannel\r\nChannel: XXX\r\nSomeheader: YYY\r\n"
    static let varSet = "Event: VarSet\r\nChannel: ABC\r\nSomeheader: XXX\r\n"

    enum Outcome: Equatable { case success, format, compile }

    /// `manager_add_filter(criteria, pattern)`: a bare `eventfilter` is the legacy form.
    func make(_ criteria: String, _ pattern: String) -> Result<AMIEventFilter, AMIEventFilter.Failure> {
        Result { () throws(AMIEventFilter.Failure) in
            try AMIEventFilter(configured: criteria == "eventfilter" ? pattern : "\(criteria) = \(pattern)")
        }
    }

    func shouldSend(_ set: AMIEventFilterSet, _ text: String) -> Bool {
        var text = text
        return text.withUTF8 { set.shouldSend($0) }
    }

    func testAsteriskCreationTable() throws {
        let table: [(String, String, Outcome, String?, Bool)] = [
            ("eventfilter", "XXX", .success, Self.newchannel, true),
            ("eventfilter", "!XXX", .success, Self.varSet, false),
            ("eventfilter(name(VarSet),method(none))", "", .success, Self.varSet, true),
            ("eventfilter(name(Newchannel),method(regex))", "X[XYZ]X", .success, Self.newchannel, true),
            ("eventfilter(name(Newchannel),method(regex))", "X[abc]X", .success, Self.newchannel, false),
            ("eventfilter(action(exclude),name(Newchannel),method(regex))", "X[XYZ]X", .success, Self.newchannel, false),
            ("eventfilter(action(exclude),name(Newchannel),method(regex))", "X[abc]X", .success, Self.newchannel, true),
            ("eventfilter(action(include),name(VarSet),header(Channel),method(starts_with))", "AB", .success, Self.varSet, true),
            ("eventfilter(action(include),name(VarSet),header(Channel),method(ends_with))", "BC", .success, Self.varSet, true),
            ("eventfilter(action(include),name(VarSet),header(Channel),method(exact))", "ABC", .success, Self.varSet, true),
            ("eventfilter(action(include),name(VarSet),header(Channel),method(exact))", "XXX", .success, Self.varSet, false),
            ("eventfilter(name(VarSet),header(Channel),method(exact))", "!ZZZ", .success, Self.varSet, true),
            ("eventfilter(action(exclude),name(VarSet),header(Channel),method(exact))", "ZZZ", .success, Self.varSet, true),
            ("eventfilter(action(include),name(VarSet),header(Someheader),method(exact))", "!XXX", .success, Self.varSet, true),
            ("eventfilter(action(include)", "", .format, nil, false),
            ("eventfilter(action(inlude)", "", .format, nil, false),
            ("eventfilter(nnnn(yyy)", "XXX", .format, nil, false),
            ("eventfilter(eader(VarSet)", "XXX", .format, nil, false),
            ("eventfilter(ethod(contains)", "XXX", .format, nil, false),
            ("eventfilter(nnnn(yyy),header(VarSet),method(contains)", "XXX", .format, nil, false),
            ("eventfilter(name(yyy),heder(VarSet),method(contains)", "XXX", .format, nil, false),
            ("eventfilter(name(yyy),header(VarSet),mehod(contains)", "XXX", .format, nil, false),
            ("eventfilter(name(yyy),header(VarSet),method(coains)", "XXX", .format, nil, false),
            ("eventfilter(method(yyy))", "XXX", .format, nil, false),
            ("eventfilter", "", .format, nil, false),
            ("eventfilter", "!", .format, nil, false),
            ("eventfilter()", "XXX", .format, nil, false),
            ("eventfilter", "XX[X", .compile, nil, false),
            ("eventfilter(method(regex))", "XX[X", .compile, nil, false),
        ]
        for (criteria, pattern, expected, event, send) in table {
            let made = make(criteria, pattern)
            switch made {
            case .success(let filter):
                XCTAssertEqual(expected, .success, "\(criteria) = \(pattern)")
                var set = AMIEventFilterSet()
                set.add(filter)
                if let event { XCTAssertEqual(shouldSend(set, event), send, "\(criteria) = \(pattern)") }
            case .failure(.format):
                XCTAssertEqual(expected, .format, "\(criteria) = \(pattern)")
            case .failure(.compile):
                XCTAssertEqual(expected, .compile, "\(criteria) = \(pattern)")
            }
        }
    }

    func testAsteriskMatchingTable() throws {
        let filters = [
            ("eventfilter(name(VarSet),method(none))", ""),
            ("eventfilter(name(Newchannel),method(regex))", "X[XYZ]X"),
            ("eventfilter(name(Newchannel),method(regex))", "X[abc]X"),
            ("eventfilter(name(Newchannel),header(Someheader),method(regex))", "ZZZ"),
            ("eventfilter(action(exclude),name(Newchannel),method(regex))", "X[a]X"),
            ("eventfilter(action(exclude),name(Newchannel),method(regex))", "X[Z]X"),
            ("eventfilter(action(exclude),name(VarSet),header(Channel),method(regex))", "YYY"),
        ]
        var set = AMIEventFilterSet()
        for (criteria, pattern) in filters { set.add(try make(criteria, pattern).get()) }
        XCTAssertEqual(set.include.count, 4)
        XCTAssertEqual(set.exclude.count, 3)
        XCTAssertTrue(set.usesRegex)
        let events: [(String, Bool)] = [
            ("Event: Newchannel\r\nChannel: XXX\r\nSomeheader: YYY\r\n", true),
            ("Event: Newchannel\r\nChannel: XZX\r\nSomeheader: YYY\r\n", false),
            ("Event: Newchannel\r\nChannel: XaX\r\nSomeheader: YYY\r\n", false),
            ("Event: Newchannel\r\nChannel: XbX\r\nSomeheader: YYY\r\n", true),
            ("Event: Newchannel\r\nChannel: XcX\r\nSomeheader: YYY\r\n", true),
            ("Event: Newchannel\r\nChannel: YYY\r\nSomeheader: YYY\r\n", false),
            ("Event: Newchannel\r\nChannel: YYY\r\nSomeheader: ZZZ\r\n", true),
            ("Event: VarSet\r\nChannel: XXX\r\nSomeheader: YYY\r\n", true),
            ("Event: VarSet\r\nChannel: YYY\r\nSomeheader: YYY\r\n", false),
        ]
        for (event, send) in events { XCTAssertEqual(shouldSend(set, event), send, event) }
    }

    /// Include filters first (an event must match one), then exclude filters; no filter sends everything.
    func testWhitelistThenBlacklist() throws {
        let hangup = "Event: Hangup\r\nPrivilege: call,all\r\nChannel: PJSIP/100-00000001\r\n\r\n"
        let localHangup = "Event: Hangup\r\nPrivilege: call,all\r\nChannel: Local/100@c2c-00000001;1\r\n\r\n"
        let newchannel = "Event: Newchannel\r\nPrivilege: call,all\r\nChannel: PJSIP/100-00000001\r\n\r\n"
        var set = AMIEventFilterSet()
        XCTAssertTrue(shouldSend(set, hangup))
        set.add(try AMIEventFilter(configured: "!Channel: Local/"))
        XCTAssertTrue(shouldSend(set, hangup))
        XCTAssertFalse(shouldSend(set, localHangup))
        XCTAssertTrue(shouldSend(set, newchannel), "exclude filters only: everything else passes")
        set.add(try AMIEventFilter(configured: "Event: Hangup"))
        XCTAssertTrue(shouldSend(set, hangup))
        XCTAssertFalse(shouldSend(set, localHangup), "an exclude filter wins over a matching include filter")
        XCTAssertFalse(shouldSend(set, newchannel), "with include filters an event must match one")
        XCTAssertFalse(set.usesRegex, "both are plain text: no regex machine")
    }

    /// A legacy pattern without special characters is a substring test, `^` plus one a prefix test:
    /// the same answers as the regex, on events and on texts built to trip them.
    func testLiteralFastPathsAgreeWithTheRegex() throws {
        let texts = [
            "Event: Newchannel\r\nPrivilege: call,all\r\nChannel: PJSIP/100-00000001\r\n\r\n",
            "Event: NewchannelX\r\nPrivilege: call,all\r\n\r\n",
            "Event: UserEvent\r\nPrivilege: user,all\r\nUserEvent: Newchannel\r\n\r\n",
            "Event: Hangup\r\nPrivilege: call,all\r\nCause-txt: Event: Newchannel\r\n\r\n",
            "Event: Newchan",
            "",
        ]
        for pattern in ["Event: Newchannel", "^Event: Newchannel", "Newchannel", "^", "Event: Hangup", "^Event: Hangup"] {
            let fast = try AMIEventFilter(configured: pattern)
            XCTAssertFalse(fast.usesRegex, pattern)
            // The same pattern forced through the regex machine by the advanced form.
            let regex = try AMIEventFilter(configured: "eventfilter(method(regex)) = \(pattern)")
            XCTAssertTrue(regex.usesRegex)
            for text in texts {
                var subject = text
                subject.withUTF8 { bytes in XCTAssertEqual(fast.matches(bytes), regex.matches(bytes), "\(pattern) on \(text)") }
            }
        }
        XCTAssertTrue(try AMIEventFilter(configured: "Event: (Newchannel|Hangup)").usesRegex)
    }

    /// A regex with a literal prefix runs anchored where the prefix occurs: the same answers as the
    /// unanchored search over the whole text.
    func testRegexPrefixAgreesWithTheWholeSearch() throws {
        XCTAssertEqual(AMIEventFilter.requiredPrefix(Array("Event: (Hangup|OriginateResponse)".utf8)), Array("Event: ".utf8))
        XCTAssertEqual(AMIEventFilter.requiredPrefix(Array("Channel: PJSIP/10[0-9]".utf8)), Array("Channel: PJSIP/10".utf8))
        XCTAssertEqual(AMIEventFilter.requiredPrefix(Array("abc*d".utf8)), Array("ab".utf8), "the * applies to c")
        XCTAssertEqual(AMIEventFilter.requiredPrefix(Array("abc+d".utf8)), Array("abc".utf8))
        XCTAssertEqual(AMIEventFilter.requiredPrefix(Array("a?b".utf8)), [])
        XCTAssertEqual(AMIEventFilter.requiredPrefix(Array("Event: Hangup|Newchannel".utf8)), [], "a top-level alternative")
        XCTAssertEqual(AMIEventFilter.requiredPrefix(Array("Event: [|]x|y".utf8)), [], "a bracket and a bar: unsure")
        XCTAssertEqual(AMIEventFilter.requiredPrefix(Array("Event: \\(x|y".utf8)), [], "an escaped parenthesis")
        XCTAssertEqual(AMIEventFilter.requiredPrefix(Array("Event: x$|^y".utf8)), [])
        XCTAssertEqual(AMIEventFilter.requiredPrefix(Array("(Event): x".utf8)), [])
        let texts = [
            "Event: Hangup\r\nPrivilege: call,all\r\nChannel: PJSIP/100-00000001\r\n\r\n",
            "Event: HangupRequest\r\nPrivilege: call,all\r\nChannel: PJSIP/109-00000001\r\n\r\n",
            "Event: OriginateResponse\r\nPrivilege: call,all\r\nResponse: Success\r\n\r\n",
            "Event: Newchannel\r\nPrivilege: call,all\r\nChannel: Local/100@c2c-00000001;1\r\nX: Event: Hangup\r\n\r\n",
            "Event: Newchannel\r\nChannel: PJSIP/10",
            "Event: ",
            "",
        ]
        let patterns = [
            "Event: (Hangup|OriginateResponse)", "Event: Hangup\r", "Channel: PJSIP/10[0-9]", "Channel: PJSIP/10[0-9]-", "Event: H.*Request",
            "Event: Hangup$", "1\r\n\r\n$", "Event: (Newchannel|Hangup)\r\nPrivilege: call", "Chan+el", "Success\r\n\r\n$", "e*nt",
        ]
        for pattern in patterns {
            let filter = try AMIEventFilter(configured: pattern)
            let regex = try LinearRegex(pattern, limits: LinearRegex.Limits(maximumSubjectLength: 1 << 14))
            for text in texts {
                var subject = text
                subject.withUTF8 { bytes in XCTAssertEqual(filter.matches(bytes), regex.matches(bytes: bytes), "\(pattern) on \(text)") }
            }
        }
    }

    /// The anchored runs at each occurrence of the prefix cost no more than one search of the whole
    /// text: a prefix repeated all through a long event with a `.*` after it (a run each reaching
    /// the end) was quadratic, seconds of an event loop per event.
    func testRegexPrefixRepeatedThroughTheEventIsNotQuadratic() throws {
        let filter = try AMIEventFilter(configured: "a.*b")
        XCTAssertTrue(filter.usesRegex)
        var text = "Event: UserEvent\r\nX: " + String(repeating: "a", count: 16_000) + "\r\n\r\n"
        let started = ContinuousClock.now
        text.withUTF8 { bytes in XCTAssertFalse(filter.matches(bytes)) }
        let elapsed = ContinuousClock.now - started
        XCTAssertLessThan(elapsed, .seconds(5), "\(elapsed) (about 100 s in a debug build when quadratic)")
        var matching = "Event: UserEvent\r\nX: " + String(repeating: "a", count: 16_000) + "b\r\n\r\n"
        matching.withUTF8 { bytes in XCTAssertTrue(filter.matches(bytes)) }
        // Past the anchored runs, the search of the rest gives the whole search's answers.
        let many = String(repeating: "ax", count: AMIEventFilter.maximumAnchoredRuns + 3)
        for pattern in ["a.*b", "ab+c", "axa(x|y)b$"] {
            let prefixed = try AMIEventFilter(configured: pattern)
            let regex = try LinearRegex(pattern, limits: LinearRegex.Limits(maximumSubjectLength: 1 << 14))
            for text in [many, many + "abc", many + "ab", "abc" + many, many + "axaxb", many + "axayb\r\n"] {
                var subject = text
                subject.withUTF8 { bytes in XCTAssertEqual(prefixed.matches(bytes), regex.matches(bytes: bytes), "\(pattern) on \(text)") }
            }
        }
    }

    func testLimits() {
        let limits = AMIEventFilter.Limits(maximumFilters: 2, maximumPatternLength: 8, maximumEventLength: 32)
        XCTAssertThrowsError(try AMIEventFilter(configured: "Event: Newchannel", limits: limits)) { error in
            XCTAssertEqual(error as? AMIEventFilter.Failure, .compile("pattern longer than 8 bytes"))
        }
        XCTAssertNoThrow(try AMIEventFilter(configured: "!Hangup", limits: limits), "the '!' is not part of the pattern")
        XCTAssertThrowsError(try AMIEventFilterSet(configured: ["a", "b", "c"], limits: limits))
        // A text longer than the limit never matches a regex.
        let regex = try? AMIEventFilter(configured: "a.c", limits: limits)
        var short = "xxabcxx"
        var long = String(repeating: "x", count: 40) + "abc"
        XCTAssertEqual(short.withUTF8 { regex?.matches($0) }, true)
        XCTAssertEqual(long.withUTF8 { regex?.matches($0) }, false)
        XCTAssertEqual(AMIEventFilter.Failure.compile("x").replyMessage, "Filter did not compile.  Check the syntax of the filter given.")
        XCTAssertEqual(
            AMIEventFilter.Failure.format("x").replyMessage, "Filter was formatted incorrectly.  Check the syntax of the filter given.")
    }

    /// The `Filter` action's form: `MatchCriteria` is what goes between `eventfilter(` and `)`.
    func testMatchCriteria() throws {
        let filter = try AMIEventFilter(matchCriteria: "name(Hangup),header(Channel),method(starts_with)", pattern: "PJSIP/")
        XCTAssertNotNil(filter.eventName)
        var hangup = "Event: Hangup\r\nPrivilege: call,all\r\nChannel:  PJSIP/100-00000001\r\n\r\n"
        var local = "Event: Hangup\r\nPrivilege: call,all\r\nChannel: Local/100@c2c-00000001;1\r\n\r\n"
        var other = "Event: Newchannel\r\nPrivilege: call,all\r\nChannel: PJSIP/100-00000001\r\n\r\n"
        XCTAssertTrue(hangup.withUTF8 { filter.matches($0) }, "blanks after the header's colon are skipped")
        XCTAssertFalse(local.withUTF8 { filter.matches($0) })
        XCTAssertFalse(other.withUTF8 { filter.matches($0) })
        XCTAssertThrowsError(try AMIEventFilter(matchCriteria: "name(Hangup)", pattern: "x"), "method none with a pattern")
    }
}
