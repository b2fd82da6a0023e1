import Foundation
import PBX
import XCTest

final class ChannelTests: XCTestCase {
    func testChannelBlockMatchesAsteriskShape() {
        let channel = Channel(
            name: "Local/100@c2c-00000001;2", uniqueID: "1795755134.7", linkedID: "1795755134.6", tenant: UUID(),
            state: .ring, callerID: CallerID(name: "Click2Call", number: "0039061234567"),
            context: "c2c", exten: "100")
        let fields = channel.eventFields()
        XCTAssertEqual(
            fields.map(\.0),
            [
                "Channel", "ChannelState", "ChannelStateDesc", "CallerIDNum", "CallerIDName", "ConnectedLineNum",
                "ConnectedLineName", "Language", "AccountCode", "Context", "Exten", "Priority", "Uniqueid", "Linkedid",
            ])
        XCTAssertEqual(
            fields.map(\.1),
            [
                "Local/100@c2c-00000001;2", "4", "Ring", "0039061234567", "Click2Call", "<unknown>", "<unknown>",
                "en", "", "c2c", "100", "1", "1795755134.7", "1795755134.6",
            ])
        XCTAssertEqual(channel.eventFields(prefix: "Dest").first?.0, "DestChannel")
    }

    func testHangupCausesAndMappings() {
        XCTAssertEqual(HangupCause.normalClearing.text, "Normal Clearing")
        XCTAssertEqual(HangupCause.noAnswer.text, "User alerting, no answer")
        XCTAssertEqual(HangupCause(rawValue: 4).text, "Unknown")
        XCTAssertEqual(HangupCause(sipStatus: 486), .userBusy)
        XCTAssertEqual(HangupCause(sipStatus: 404), .unallocated)
        XCTAssertEqual(HangupCause(sipStatus: 603), .callRejected)
        XCTAssertEqual(HangupCause(sipStatus: 503), .congestion)
        XCTAssertEqual(HangupCause.userBusy.sipStatus, 486)
        XCTAssertEqual(HangupCause.noAnswer.sipStatus, 480)
        XCTAssertEqual(HangupCause.userBusy.dialStatus, "BUSY")
        XCTAssertEqual(HangupCause.congestion.dialStatus, "CONGESTION")
        XCTAssertEqual(HangupCause.subscriberAbsent.dialStatus, "CHANUNAVAIL")
        XCTAssertEqual(HangupCause.noAnswer.dialStatus, "NOANSWER")
    }

    func testUniqueIDsAndNameSuffixes() {
        var generator = UniqueIDGenerator()
        XCTAssertEqual(generator.next(epochSeconds: 1795755134), "1795755134.0")
        XCTAssertEqual(generator.next(epochSeconds: 1795755135), "1795755135.1")
        XCTAssertEqual(generator.nextNameSuffix(technology: "Local"), "00000000")
        XCTAssertEqual(generator.nextNameSuffix(technology: "Local"), "00000001")
        XCTAssertEqual(generator.nextNameSuffix(technology: "PJSIP"), "00000000")
    }

    func testCallerIDParsing() {
        XCTAssertEqual(CallerID(parsing: "\"c2c: 0391234567\" <0391234567>"), CallerID(name: "c2c: 0391234567", number: "0391234567"))
        XCTAssertEqual(CallerID(parsing: "Click2Call <039 (06) 123-4567>"), CallerID(name: "Click2Call", number: "039061234567"))
        XCTAssertEqual(CallerID(parsing: "100"), CallerID(name: "", number: "100"))
        XCTAssertEqual(CallerID(parsing: "Alice"), CallerID(name: "Alice", number: ""))
        XCTAssertEqual(CallerID.shrink("[0-9]-12"), "[0-9]12")
    }

    func testVariableInheritance() {
        var variables = ChannelVariables()
        variables.set("__TRACKID", "abc")
        variables.set("_ONCE", "1")
        variables.set("PLAIN", "x")
        XCTAssertEqual(variables["TRACKID"], "abc", "lookups ignore leading underscores")
        let child = variables.inherited()
        XCTAssertEqual(child.entries.map(\.name), ["__TRACKID", "ONCE"])
        let grandchild = child.inherited()
        XCTAssertEqual(grandchild.entries.map(\.name), ["__TRACKID"])
        variables.set("TRACKID", "def")
        XCTAssertEqual(variables.entries.count, 3, "setting by base name replaces")
    }

    func testEscapingOfNames() {
        XCTAssertEqual(Channel.cEscaped("a\"b\\c\n"), "a\\\"b\\\\c\\n")
        XCTAssertEqual(Channel.cEscaped("Zoë \t'x'\r\n"), "Zoë \\t\\'x\\'\\r\\n", "byte by byte: CR LF (one Character) too")
        XCTAssertEqual(Channel.cEscaped("Zoë Rossi"), "Zoë Rossi")
    }

    func testEventFieldsWithAndWithoutPrefix() {
        let channel = Channel(name: "PJSIP/100-00000001", uniqueID: "1.1", tenant: UUID(), callerID: CallerID(name: "A\"B", number: ""))
        let plain = channel.eventFields()
        let dest = channel.eventFields(prefix: "Dest")
        XCTAssertEqual(plain.count, 14)
        XCTAssertEqual(dest.map(\.0), plain.map { "Dest" + $0.0 })
        XCTAssertEqual(dest.map(\.1), plain.map(\.1))
        XCTAssertEqual(plain.first { $0.0 == "CallerIDName" }?.1, "A\\\"B")
        XCTAssertEqual(plain.first { $0.0 == "CallerIDNum" }?.1, "<unknown>")
    }
}
