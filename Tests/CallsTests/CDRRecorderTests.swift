import Foundation
import PBX
import SIP
import XCTest

@testable import Calls

/// Call detail records: the recorder fed by hand with the events the engine raises (times given),
/// then the real engine (`EngineHarness`) with a recording sink through whole click-to-calls.
final class CDRRecorderTests: XCTestCase {
    typealias H = EngineHarness
    let tenant = UUID()

    func channel(
        _ name: String, _ id: String, linked: String? = nil, state: ChannelState = .down, number: String = "", context: String = "",
        exten: String = ""
    )
        -> PBX.Channel
    {
        PBX.Channel(
            name: name, uniqueID: id, linkedID: linked, tenant: tenant, state: state,
            callerID: CallerID(name: number.isEmpty ? "" : "Ann", number: number), context: context, exten: exten)
    }

    func newexten(_ snapshot: PBX.Channel, _ application: String, _ data: String) -> PBXEvent {
        .channel(
            "Newexten", snapshot, classes: ["dialplan"], extra: [("Extension", snapshot.exten), ("Application", application), ("AppData", data)])
    }

    func dial(_ name: String, caller: PBX.Channel?, _ target: PBX.Channel, status: String? = nil) -> PBXEvent {
        PBXEvent(
            name,
            fields: (caller?.eventFields() ?? []) + target.eventFields(prefix: "Dest") + [status.map { ("DialStatus", $0) } ?? ("DialString", "x")],
            tenant: tenant)
    }

    /// A phone dials another: one record, party A the caller, party B the dialled channel, answered
    /// at the callee's answer; the dialled channel writes none of its own.
    func testAnsweredDialIsOneRecordOfTheCaller() {
        let recorder = CDRRecorder()
        var a = channel("PJSIP/100-00000001", "1.1", state: .ring, number: "100", context: "internal", exten: "101")
        var b = channel("PJSIP/101-00000002", "1.2", linked: "1.1", number: "101", context: "internal", exten: "101")
        var out: [CallDetailRecord] = []
        out += recorder.observe(.channel("Newchannel", a), now: 100)
        out += recorder.observe(newexten(a, "Dial", "PJSIP/101,30"), now: 100)
        out += recorder.observe(.channel("Newchannel", b), now: 100.5)
        out += recorder.observe(dial("DialBegin", caller: a, b), now: 100.5)
        b.state = .up
        out += recorder.observe(.channel("Newstate", b), now: 104)
        out += recorder.observe(dial("DialEnd", caller: a, b, status: "ANSWER"), now: 104)
        a.state = .up
        out += recorder.observe(.channel("Newstate", a), now: 104.2)
        out += recorder.observe(.hangup(b, cause: .normalClearing), now: 164.9)
        XCTAssertEqual(out, [], "records are written when party A hangs up")
        out += recorder.observe(newexten(a, "Hangup", ""), now: 165)
        out += recorder.observe(.hangup(a, cause: .normalClearing), now: 165)
        XCTAssertEqual(out.count, 2, "the Dial's record, then Hangup() after the bridge ended opens another")
        let record = out[0]
        XCTAssertEqual(record.channel, "PJSIP/100-00000001")
        XCTAssertEqual(record.destinationChannel, "PJSIP/101-00000002")
        XCTAssertEqual(record.source, "100")
        XCTAssertEqual(record.callerID, "\"Ann\" <100>")
        XCTAssertEqual(record.destination, "101")
        XCTAssertEqual(record.destinationContext, "internal")
        XCTAssertEqual(record.lastApplication, "Dial")
        XCTAssertEqual(record.lastData, "PJSIP/101,30")
        XCTAssertEqual(record.disposition, .answered)
        XCTAssertEqual(record.start, 100)
        XCTAssertEqual(record.answer, 104.2)
        XCTAssertEqual(record.end, 164.9)
        XCTAssertEqual(record.duration, 64)
        XCTAssertEqual(record.billableSeconds, 60)
        XCTAssertEqual(record.uniqueID, "1.1")
        XCTAssertEqual(record.linkedID, "1.1")
        XCTAssertEqual(out[1].lastApplication, "Hangup")
        XCTAssertEqual(out[1].destinationChannel, "")
        XCTAssertEqual(out[1].disposition, .answered, "party A was up")
        XCTAssertTrue(recorder.parties.isEmpty, "nothing kept once both hung up")
    }

    /// Busy, no answer, and a Dial with no target: the dispositions Asterisk gives them.
    func testUnansweredDispositions() {
        for (status, cause, expected) in [
            ("BUSY", HangupCause.userBusy, CallDetailRecord.Disposition.busy), ("NOANSWER", .noAnswer, .noAnswer),
            ("CANCEL", .normalClearing, .noAnswer), ("CONGESTION", .congestion, .failed), ("CHANUNAVAIL", .subscriberAbsent, .failed),
        ] {
            let recorder = CDRRecorder()
            let a = channel("PJSIP/100-00000001", "1.1", state: .ring, number: "100", context: "internal", exten: "101")
            let b = channel("PJSIP/101-00000002", "1.2", linked: "1.1")
            _ = recorder.observe(.channel("Newchannel", a), now: 10)
            _ = recorder.observe(newexten(a, "Dial", "PJSIP/101,30"), now: 10)
            _ = recorder.observe(.channel("Newchannel", b), now: 10)
            _ = recorder.observe(dial("DialBegin", caller: a, b), now: 10)
            _ = recorder.observe(dial("DialEnd", caller: a, b, status: status), now: 15)
            let none = recorder.observe(.hangup(b, cause: cause), now: 15)
            XCTAssertEqual(none, [], "the dialled channel has no record of its own (\(status))")
            let records = recorder.observe(.hangup(a, cause: cause), now: 15)
            XCTAssertEqual(records.map(\.disposition), [expected], status)
            XCTAssertEqual(records.first?.billableSeconds, 0)
            XCTAssertEqual(records.first?.answer, nil)
            XCTAssertEqual(records.first?.duration, 5)
            XCTAssertEqual(records.first?.destinationChannel, "PJSIP/101-00000002")
        }
        let recorder = CDRRecorder()
        let a = channel("PJSIP/100-00000001", "1.1", state: .ring, number: "100", context: "internal", exten: "109")
        _ = recorder.observe(.channel("Newchannel", a), now: 10)
        _ = recorder.observe(newexten(a, "Hangup", ""), now: 10)
        XCTAssertEqual(recorder.observe(.hangup(a, cause: .subscriberAbsent), now: 11).map(\.disposition), [.failed])
    }

    /// A channel sent into failing dials again and again keeps at most `maximumRecordsPerChannel` records.
    func testRecordsPerChannelAreBounded() {
        let recorder = CDRRecorder()
        let a = channel("PJSIP/100-00000001", "1.1", state: .ring, number: "100", context: "internal", exten: "101")
        _ = recorder.observe(.channel("Newchannel", a), now: 0)
        for attempt in 0..<300 {
            let b = channel("PJSIP/101-\(attempt)", "2.\(attempt)", linked: "1.1")
            _ = recorder.observe(newexten(a, "Dial", "PJSIP/101,30"), now: Double(attempt))
            _ = recorder.observe(.channel("Newchannel", b), now: Double(attempt))
            _ = recorder.observe(dial("DialBegin", caller: a, b), now: Double(attempt))
            _ = recorder.observe(dial("DialEnd", caller: a, b, status: "BUSY"), now: Double(attempt))
            _ = recorder.observe(.hangup(b, cause: .userBusy), now: Double(attempt))
        }
        let records = recorder.observe(.hangup(a, cause: .userBusy), now: 300)
        XCTAssertEqual(records.count, CDRRecorder.maximumRecordsPerChannel)
        XCTAssertTrue(records.allSatisfy { $0.disposition == .busy })
        XCTAssertTrue(recorder.parties.isEmpty)
    }

    /// The Cdr event's fields and order are cdr_manager's.
    func testManagerFields() {
        let record = CallDetailRecord(
            tenant: tenant, start: 0, answer: 4.5, end: 65, source: "100", destination: "101", destinationContext: "internal",
            callerID: "\"Ann\" <100>", channel: "PJSIP/100-1", destinationChannel: "PJSIP/101-2", lastApplication: "Dial",
            lastData: "PJSIP/101", disposition: .answered, accountCode: "acct", uniqueID: "1.1", linkedID: "1.1")
        let fields = record.managerFields(utc: true)
        XCTAssertEqual(
            fields.map(\.0),
            [
                "AccountCode", "Source", "Destination", "DestinationContext", "CallerID", "Channel", "DestinationChannel",
                "LastApplication", "LastData", "StartTime", "AnswerTime", "EndTime", "Duration", "BillableSeconds",
                "Disposition", "AMAFlags", "UniqueID", "UserField",
            ])
        XCTAssertEqual(fields[9].1, "1970-01-01 00:00:00")
        XCTAssertEqual(fields[10].1, "1970-01-01 00:00:04")
        XCTAssertEqual(fields[12].1, "65")
        XCTAssertEqual(fields[13].1, "60")
        XCTAssertEqual(fields[14].1, "ANSWERED")
        XCTAssertEqual(CallDetailRecord.mergedCallerID(name: "", number: "100"), "\"\" <100>", "Asterisk's snapshot name is never NULL")
    }

    // MARK: - The engine

    /// A click-to-call through the engine: `;2` rings the agent (record ;2 → PJSIP/100), `;1`
    /// dials 101 once the agent answers (record ;1 → PJSIP/101), each ANSWERED with the Account;
    /// 101 hangs up first, so ;1's `Hangup()` writes a third record.
    func testAnsweredClickToCallWritesTwoRecords() throws {
        let pbx = EngineHarness()
        let sink = RecordingCDRs()
        pbx.engine.cdrSink = sink
        var request = H.originateRequest("Local/100@internal", exten: "101")
        request.account = "crm-7"
        XCTAssertNil(pbx.admit(request))
        pbx.engine.originate(request, tenant: pbx.tenant.uuid) { _ in }
        pbx.loop.run()
        let toAgent = try XCTUnwrap(pbx.expectRequest(.invite, to: H.phone100))
        pbx.respond(to: toAgent, 200, from: H.phone100)
        let to101 = try XCTUnwrap(pbx.expectRequest(.invite, to: H.phone101))
        pbx.respond(to: to101, 200, from: H.phone101)
        pbx.farEndBye(dialogOf: to101, from: H.phone101)
        let bye = try XCTUnwrap(pbx.expectRequest(.bye, to: H.phone100))
        pbx.respond(to: bye, 200, from: H.phone100)
        pbx.assertIdle()

        let dialled = sink.records.filter { !$0.destinationChannel.isEmpty }
        XCTAssertEqual(dialled.count, 2, "\(sink.records)")
        let agentLeg = try XCTUnwrap(dialled.first { $0.channel.hasSuffix(";2") })
        XCTAssertTrue(agentLeg.channel.hasPrefix("Local/100@internal-"))
        XCTAssertTrue(agentLeg.destinationChannel.hasPrefix("PJSIP/100-"))
        XCTAssertEqual(agentLeg.destination, "100")
        XCTAssertEqual(agentLeg.disposition, .answered)
        XCTAssertEqual(agentLeg.accountCode, "crm-7")
        let numberLeg = try XCTUnwrap(dialled.first { $0.channel.hasSuffix(";1") })
        XCTAssertTrue(numberLeg.destinationChannel.hasPrefix("PJSIP/101-"))
        XCTAssertEqual(numberLeg.destination, "101")
        XCTAssertEqual(numberLeg.destinationContext, "internal")
        XCTAssertEqual(numberLeg.lastApplication, "Dial")
        XCTAssertEqual(numberLeg.disposition, .answered)
        XCTAssertEqual(numberLeg.accountCode, "crm-7")
        XCTAssertEqual(numberLeg.linkedID, agentLeg.linkedID)
        XCTAssertEqual(numberLeg.uniqueID, numberLeg.linkedID, ";1 is the call's first channel")
        XCTAssertFalse(sink.records.contains { $0.channel.hasPrefix("PJSIP/") }, "dialled channels write no record: \(sink.records)")
        // 101 hung up first: ;1's Dial record ended with the bridge, its Hangup() opened another (as Asterisk).
        XCTAssertEqual(sink.records.filter { $0.channel.hasSuffix(";1") }.map(\.lastApplication), ["Dial", "Hangup"])
        XCTAssertEqual(sink.records.filter { $0.channel.hasSuffix(";1") }.map(\.disposition), [.answered, .answered])
        let cdrEvents = pbx.events.events.filter { $0.name == "Cdr" }
        XCTAssertEqual(cdrEvents.count, sink.records.count)
        XCTAssertEqual(cdrEvents.first?.classes, ["cdr"])
    }

    /// The agent's phone is busy: ;2's record BUSY (to PJSIP/100), ;1's the Originate's own (AppDial2).
    func testBusyAgentWritesBusyRecords() throws {
        let pbx = EngineHarness()
        let sink = RecordingCDRs()
        pbx.engine.cdrSink = sink
        pbx.originate("Local/100@internal", exten: "101")
        let toAgent = try XCTUnwrap(pbx.expectRequest(.invite, to: H.phone100))
        pbx.respond(to: toAgent, 486, from: H.phone100)
        pbx.assertIdle()
        let agentLeg = try XCTUnwrap(sink.records.first { $0.channel.hasSuffix(";2") && !$0.destinationChannel.isEmpty })
        XCTAssertEqual(agentLeg.disposition, .busy)
        XCTAssertTrue(agentLeg.destinationChannel.hasPrefix("PJSIP/100-"))
        XCTAssertEqual(agentLeg.billableSeconds, 0)
        let originated = try XCTUnwrap(sink.records.first { $0.channel.hasSuffix(";1") })
        XCTAssertEqual(originated.disposition, .busy)
        XCTAssertEqual(originated.lastApplication, "AppDial2")
        XCTAssertEqual(originated.destination, "100")
        XCTAssertNil(originated.answer)
    }
}

final class RecordingCDRs: CDRSink, @unchecked Sendable {
    private(set) var records: [CallDetailRecord] = []
    func record(_ records: [CallDetailRecord]) { self.records += records }
}
