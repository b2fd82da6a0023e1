import XCTest

@testable import PBX

final class DialplanExecutionTests: XCTestCase {
    private func plan(_ text: String) throws -> Dialplan { try DialplanParser.parse(text) }

    func testPrioritiesRunInOrderThenFallOffTheEnd() throws {
        let dialplan = try plan(
            """
            [echo]
            exten => s,1,Answer()
             same => n,Wait(1)
             same => n,NoOp(done ${PRIORITY} ${CONTEXT} ${EXTEN})
            """)
        var execution = DialplanExecution(dialplan: dialplan, context: "echo", exten: "s")
        let vars = DialplanVariables()
        XCTAssertEqual(
            execution.next(variables: vars),
            .application(
                DialplanApplicationCall(
                    application: "Answer", data: "", location: DialplanLocation(context: "echo", exten: "s", priority: 1))))
        guard case .application(let wait) = execution.next(variables: vars) else { return XCTFail() }
        XCTAssertEqual(wait.application, "Wait")
        XCTAssertEqual(wait.arguments, ["1"])
        guard case .application(let noop) = execution.next(variables: vars) else { return XCTFail() }
        XCTAssertEqual(noop.data, "done 3 echo s")
        XCTAssertEqual(noop.newextenFields.map(\.name), ["Extension", "Application", "AppData"])
        XCTAssertEqual(noop.newextenFields.map(\.value), ["s", "NoOp", "done 3 echo s"])
        let end = DialplanStep.hangup(.endOfExtension(DialplanLocation(context: "echo", exten: "s", priority: 4)))
        XCTAssertEqual(execution.next(variables: vars), end)
        XCTAssertTrue(execution.isFinished)
        XCTAssertEqual(execution.next(variables: vars), end)
    }

    func testGotoLabelsRelativeAndGotoIf() throws {
        let dialplan = try plan(
            """
            [t]
            exten => 1,1,GotoIf($[${X} = 1]?yes:no)
             same => n(yes),NoOp(yes)
             same => n,Goto(end)
             same => n(no),NoOp(no)
             same => n(end),Goto(+2)
             same => n,NoOp(skipped)
             same => n,GotoIf(0?t,1,1)
             same => n,Goto(other,5,1)
            [other]
            exten => _X,1,NoOp(other ${EXTEN})
            """)
        var yes = DialplanTestDriver(dialplan, context: "t", exten: "1", variables: DialplanVariables(["X": "1"]))
        XCTAssertEqual(yes.run(until: ["Never"]), .hangup(.endOfExtension(DialplanLocation(context: "other", exten: "5", priority: 2))))
        XCTAssertEqual(
            yes.trace,
            [
                "t,1,1 *GotoIf(1?yes:no)", "t,1,2 NoOp(yes)", "t,1,3 *Goto(end)", "t,1,5 *Goto(+2)",
                "t,1,7 *GotoIf(0?t,1,1)", "t,1,8 *Goto(other,5,1)", "other,5,1 NoOp(other 5)",
            ])
        var no = DialplanTestDriver(dialplan, context: "t", exten: "1", variables: DialplanVariables(["X": "2"]))
        _ = no.run(until: ["Never"])
        XCTAssertEqual(Array(no.trace.prefix(3)), ["t,1,1 *GotoIf(0?yes:no)", "t,1,4 NoOp(no)", "t,1,5 *Goto(+2)"])
    }

    func testGotoToUnknownLabelHangsUpAfterNewexten() throws {
        let dialplan = try plan("[t]\nexten => 1,1,Goto(nowhere)\n same => n,NoOp(never)")
        var execution = DialplanExecution(dialplan: dialplan, context: "t", exten: "1")
        guard case .handled(let call) = execution.next(variables: DialplanVariables()) else { return XCTFail() }
        XCTAssertEqual(call.application, "Goto")
        XCTAssertEqual(
            execution.next(variables: DialplanVariables()),
            .hangup(.gotoFailed("nowhere", DialplanLocation(context: "t", exten: "1", priority: 1))))
        var empty = DialplanExecution(dialplan: try plan("[t]\nexten => 1,1,Goto()"), context: "t", exten: "1")
        _ = empty.next(variables: DialplanVariables())
        guard case .hangup(.gotoFailed) = empty.next(variables: DialplanVariables()) else { return XCTFail() }
    }

    func testInvalidExtensionGoesToIWhenPresent() throws {
        let dialplan = try plan(
            """
            [t]
            exten => 1,1,Goto(9,1)
            exten => i,1,NoOp(invalid ${INVALID_EXTEN})
            """)
        var driver = DialplanTestDriver(dialplan, context: "t", exten: "1")
        _ = driver.run(until: ["Never"])
        XCTAssertEqual(driver.trace, ["t,1,1 *Goto(9,1)", "invalid t,9,1", "t,i,1 NoOp(invalid 9)"])
    }

    func testStartFallsBackToSThenDefault() throws {
        let dialplan = try plan("[t]\nexten => s,1,NoOp(s)\n[default]\nexten => s,1,NoOp(default)")
        var toS = DialplanTestDriver(dialplan, context: "t", exten: "999")
        _ = toS.run(until: ["NoOp"])
        XCTAssertEqual(toS.trace, ["t,s,1 NoOp(s)"])
        var toDefault = DialplanTestDriver(dialplan, context: "nope", exten: "1")
        _ = toDefault.run(until: ["NoOp"])
        XCTAssertEqual(toDefault.trace, ["default,s,1 NoOp(default)"])
    }

    func testUnknownApplicationHangsUp() throws {
        let dialplan = try plan("[t]\nexten => 1,1,answer()\n same => n,Playback(hello)")
        var execution = DialplanExecution(dialplan: dialplan, context: "t", exten: "1")
        guard case .application(let answer) = execution.next(variables: DialplanVariables()) else { return XCTFail() }
        XCTAssertEqual(answer.application, "Answer")  // canonical case
        XCTAssertEqual(
            execution.next(variables: DialplanVariables()),
            .hangup(.unknownApplication("Playback", DialplanLocation(context: "t", exten: "1", priority: 2))))
        var custom = DialplanExecution(
            dialplan: dialplan, context: "t", exten: "1", priority: 2,
            applications: DialplanExecution.standardApplications + ["Playback"])
        guard case .application(let playback) = custom.next(variables: DialplanVariables()) else { return XCTFail() }
        XCTAssertEqual(playback.data, "hello")
    }

    func testGotoLoopIsCut() throws {
        let dialplan = try plan("[t]\nexten => 1,1,Goto(1)")
        var driver = DialplanTestDriver(dialplan, context: "t", exten: "1")
        XCTAssertEqual(driver.run(until: [], limit: 5_000), .hangup(.loopDetected(DialplanLocation(context: "t", exten: "1", priority: 1))))
        XCTAssertEqual(driver.trace.count, DialplanExecution.maximumConsecutiveJumps)
    }

    func testRedirectMovesAFinishedOrRunningChannel() throws {
        let dialplan = try plan("[t]\nexten => 1,1,Wait(10)\nexten => 2,1,NoOp(two)\n same => n(later),NoOp(later)")
        var execution = DialplanExecution(dialplan: dialplan, context: "t", exten: "1")
        _ = execution.next(variables: DialplanVariables())
        execution.goto(context: "t", exten: "2", priority: 2)
        guard case .application(let call) = execution.next(variables: DialplanVariables()) else { return XCTFail() }
        XCTAssertEqual(call.data, "later")
        XCTAssertEqual(execution.resolve(GotoTarget(priority: .label("later"))), DialplanLocation(context: "t", exten: "2", priority: 2))
        XCTAssertEqual(execution.resolve(GotoTarget(exten: "2", priority: .relative(-1))), DialplanLocation(context: "t", exten: "2", priority: 1))
        XCTAssertNil(execution.resolve(GotoTarget(priority: .label("missing"))))
        _ = execution.next(variables: DialplanVariables())
        XCTAssertTrue(execution.isFinished)
        execution.goto(context: "t", exten: "1", priority: 1)
        guard case .application(let again) = execution.next(variables: DialplanVariables()) else { return XCTFail() }
        XCTAssertEqual(again.application, "Wait")
    }

    func testSetIsHandedToTheEngineWithExpandedData() throws {
        let dialplan = try plan("[t]\nexten => _X.,1,Set(__DST=${EXTEN:1})\n same => n,Set(LEN=${LEN(${DST})})\n same => n,Hangup(16)")
        var driver = DialplanTestDriver(dialplan, context: "t", exten: "0123")
        guard case .application(let hangup) = driver.run() else { return XCTFail() }
        XCTAssertEqual(hangup.data, "16")
        XCTAssertEqual(driver.trace, ["t,0123,1 Set(__DST=123)", "t,0123,2 Set(LEN=3)", "t,0123,3 Hangup(16)"])
        XCTAssertEqual(driver.variables.values["__DST"], "123")
    }

    func testGlobalsAreVisibleAfterChannelVariables() throws {
        let dialplan = try plan("[globals]\nTRUNK=carrier\nX=global\n[t]\nexten => 1,1,NoOp(${TRUNK} ${X})")
        var driver = DialplanTestDriver(dialplan, context: "t", exten: "1", variables: DialplanVariables(["X": "channel"]))
        _ = driver.run(until: ["NoOp"])
        XCTAssertEqual(driver.trace, ["t,1,1 NoOp(carrier channel)"])
    }
}
