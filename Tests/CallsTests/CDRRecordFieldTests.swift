import Foundation
import PBX
import XCTest

@testable import Calls

/// The text of a call detail record as Asterisk 20 writes it: the caller ID merged as `ast_callerid_merge()`
/// merges party A's snapshot, and every field no longer than `struct ast_cdr` holds.
final class CDRRecordFieldTests: XCTestCase {
    let tenant = UUID()

    /// One unanswered channel that runs `Hangup()`: its record.
    func record(name: String, number: String, channel: String = "PJSIP/100-00000001", data: String = "") -> CallDetailRecord? {
        let recorder = CDRRecorder()
        let snapshot = PBX.Channel(
            name: channel, uniqueID: "1.1", linkedID: nil, tenant: tenant, state: .ring,
            callerID: CallerID(name: name, number: number), context: "internal", exten: "101")
        _ = recorder.observe(.channel("Newchannel", snapshot), now: 10)
        _ = recorder.observe(
            .channel(
                "Newexten", snapshot, classes: ["dialplan"], extra: [("Extension", "101"), ("Application", "NoOp"), ("AppData", data)]),
            now: 10)
        return recorder.observe(.hangup(snapshot, cause: .normalClearing), now: 11).first
    }

    /// Asterisk's snapshot holds an empty name or number, never NULL: both parts are always written
    /// (test_cdr expects `"" <>` for a channel without caller ID).
    func testCallerIDAlwaysHasNameAndNumber() {
        XCTAssertEqual(CallDetailRecord.mergedCallerID(name: "", number: ""), "\"\" <>")
        XCTAssertEqual(CallDetailRecord.mergedCallerID(name: "", number: "100"), "\"\" <100>")
        XCTAssertEqual(CallDetailRecord.mergedCallerID(name: "Ann", number: ""), "\"Ann\" <>")
        XCTAssertEqual(CallDetailRecord.mergedCallerID(name: "Ann", number: "100"), "\"Ann\" <100>")
        XCTAssertEqual(record(name: "", number: "")?.callerID, "\"\" <>")
        XCTAssertEqual(record(name: "", number: "100")?.callerID, "\"\" <100>")
        XCTAssertEqual(record(name: "", number: "100")?.source, "100")
    }

    /// `ast_escape_quoted()`: a quote, a backslash and a control character in the name get a backslash;
    /// tab, vertical tab and non-ASCII text do not.
    func testCallerIDNameIsEscapedAsAsteriskQuotesIt() {
        XCTAssertEqual(CallDetailRecord.mergedCallerID(name: "A \"B\" C", number: "1"), "\"A \\\"B\\\" C\" <1>")
        XCTAssertEqual(CallDetailRecord.mergedCallerID(name: "a\\b", number: "1"), "\"a\\\\b\" <1>")
        XCTAssertEqual(CallDetailRecord.mergedCallerID(name: "a\u{1}b\u{7F}", number: "1"), "\"a\\\u{1}b\\\u{7F}\" <1>")
        XCTAssertEqual(CallDetailRecord.mergedCallerID(name: "a\tb\u{B}c Nicolò!", number: "1"), "\"a\tb\u{B}c Nicolò!\" <1>")
    }

    /// A NUL ends a field, as it ends Asterisk's C string (a SIP quoted display name may hold one;
    /// PostgreSQL refuses text with a NUL, and with it the batch of every tenant's records).
    func testFieldsEndAtANUL() throws {
        XCTAssertEqual(CallDetailRecord.mergedCallerID(name: "Ann\u{0}\"x", number: "100\u{0}9"), "\"Ann\" <100>")
        let cdr = try XCTUnwrap(record(name: "Ann\u{0}Evil", number: "1\u{0}2", channel: "PJSIP/1\u{0}2-00000001", data: "a\u{0}b"))
        XCTAssertEqual(cdr.callerID, "\"Ann\" <1>")
        XCTAssertEqual(cdr.source, "1")
        XCTAssertEqual(cdr.channel, "PJSIP/1")
        XCTAssertEqual(cdr.lastData, "a")
        for (name, value) in cdr.managerFields(utc: true) { XCTAssertFalse(value.utf8.contains(0), name) }
    }

    /// A caller name of 60 000 bytes (a SIP From display name may be that long) makes a record whose
    /// text fields hold what Asterisk's record holds: 79 bytes, cut at a character boundary.
    func testFieldsAreCutToAsteriskSizes() throws {
        let name = String(repeating: "é", count: 30_000)
        let number = String(repeating: "7", count: 200)
        let channel = "PJSIP/" + String(repeating: "x", count: 300)
        let cdr = try XCTUnwrap(record(name: name, number: number, channel: channel, data: String(repeating: "d", count: 5000)))
        XCTAssertEqual(cdr.callerID, "\"" + String(repeating: "é", count: 39), "1 + 39 × 2 = 79 bytes: the next é would not fit")
        XCTAssertEqual(cdr.source, String(repeating: "7", count: 79))
        XCTAssertEqual(cdr.channel, String(channel.prefix(79)))
        XCTAssertEqual(cdr.lastData, String(repeating: "d", count: 79))
        XCTAssertEqual(cdr.lastApplication, "NoOp")
        XCTAssertEqual(cdr.uniqueID, "1.1")
        let event = cdr.managerFields(utc: true)
        XCTAssertLessThanOrEqual(event.reduce(0) { $0 + $1.0.utf8.count + $1.1.utf8.count }, 1500, "the Cdr event stays small")

        let long = CallDetailRecord(
            tenant: tenant, start: 0, answer: nil, end: 1, source: "", destination: "", destinationContext: "", callerID: "",
            channel: "", destinationChannel: "", lastApplication: "", lastData: "", disposition: .failed,
            accountCode: String(repeating: "a", count: 100), uniqueID: String(repeating: "u", count: 200),
            linkedID: String(repeating: "l", count: 200), userField: String(repeating: "f", count: 300)
        ).truncatedToAsteriskFieldSizes()
        XCTAssertEqual(long.accountCode.utf8.count, 79)
        XCTAssertEqual(long.uniqueID.utf8.count, 151)
        XCTAssertEqual(long.linkedID.utf8.count, 151)
        XCTAssertEqual(long.userField.utf8.count, 255)
    }
}
