import XCTest

@testable import PBX

final class DialplanParserTests: XCTestCase {
    func testParsesTheReferenceConfiguration() throws {
        let plan = try DialplanParser.parse(Self.referenceConfiguration)
        XCTAssertEqual(
            Set(plan.contexts.keys),
            [
                "internal", "c2c", "from_c2c", "c2c_7d2c0e2a-1111-4222-8333-444455556666",
                "from_c2c_7d2c0e2a-1111-4222-8333-444455556666", "echo", "perf",
            ])
        let internalContext = try XCTUnwrap(plan[context: "internal"])
        XCTAssertEqual(internalContext.extensions.map(\.name), ["_0.", "_1XX"])
        let dial = try XCTUnwrap(plan.find(context: "internal", exten: "0391234567", priority: 1)?.priority)
        XCTAssertEqual(dial.application, "Dial")
        XCTAssertEqual(dial.data, "SIP/trunk/${EXTEN:1}")
        XCTAssertEqual(dial.line, 9)
        XCTAssertEqual(plan.find(context: "internal", exten: "0391234567", priority: 2)?.priority.application, "Hangup")
        XCTAssertEqual(
            plan.find(context: "c2c", exten: "100", priority: 1)?.priority.data,
            "SIP/${EXTEN},${IF($[\"${C2C_TIMEOUT}\" != \"\"]?${C2C_TIMEOUT}:30)}")
        XCTAssertEqual(plan.find(context: "echo", exten: "s", priority: 3)?.priority.application, "Hangup")
    }

    func testPrioritiesLabelsAndSame() throws {
        let plan = try DialplanParser.parse(
            """
            [general]
            static = yes
            [globals]
            TRUNK=carrier
            [test]
            exten => 100,1(start),NoOp(first)   ; a comment
             same => n(dial),Dial(PJSIP/100,30)
             same => n,Hangup
            exten => 200,10,NoOp()
            exten => 200,n,Set(A=\\;semi)
            exten => 200,n+4,Wait(1)
            exten => 300,1,${APP}(x)
            exten => 100,hint,PJSIP/100
            ;-- a block
            comment --; exten => 400,1,NoOp(after block)
            include => other
            """)
        XCTAssertEqual(plan.globals, ["TRUNK": "carrier"])
        let test = try XCTUnwrap(plan[context: "test"])
        XCTAssertEqual(test.includes, ["other"])
        let e100 = try XCTUnwrap(test.extensionNamed("100"))
        XCTAssertEqual(e100.orderedPriorities.map(\.number), [1, 2, 3])
        XCTAssertEqual(e100.priority(labelled: "dial"), 2)
        XCTAssertEqual(e100.priority(labelled: "start"), 1)
        XCTAssertEqual(e100.priority(3)?.application, "Hangup")
        XCTAssertEqual(e100.priority(3)?.data, "")
        XCTAssertEqual(e100.hint, "PJSIP/100")
        let e200 = try XCTUnwrap(test.extensionNamed("200"))
        XCTAssertEqual(e200.orderedPriorities.map(\.number), [10, 11, 16])
        XCTAssertEqual(e200.priority(11)?.data, "A=;semi")
        XCTAssertEqual(test.extensionNamed("300")?.priority(1)?.application, "${APP}(x)")
        XCTAssertEqual(test.extensionNamed("400")?.priority(1)?.data, "after block")
        XCTAssertNil(test.extensionNamed("200")?.priority(15))
    }

    func testLabelPlusOffsetWithinExtension() throws {
        let plan = try DialplanParser.parse(
            """
            [t]
            exten => 1,1(top),NoOp()
            exten => 1,top+4,NoOp(five)
            """)
        XCTAssertEqual(plan.find(context: "t", exten: "1", priority: 5)?.priority.data, "five")
    }

    func testErrorsCarryLineNumbers() {
        let cases: [(String, DialplanParseError.Code, Int)] = [
            ("[broken\nexten => 1,1,NoOp()", .unterminatedContextName, 1),
            ("exten => 1,1,NoOp()", .statementOutsideContext, 1),
            ("[t]\n\nexten 1,1,NoOp()", .missingArrow, 3),
            ("[t]\nswitch => Realtime", .unknownKeyword, 2),
            ("[t]\nexten => 1", .missingPriority, 2),
            ("[t]\nexten => 1,one,NoOp()", .invalidPriority, 2),
            ("[t]\nexten => 1,0,NoOp()", .invalidPriority, 2),
            ("[t]\nexten => 1,n,NoOp()", .nextPriorityWithoutPrevious, 2),
            ("[t]\n same => n,NoOp()", .sameWithoutExtension, 2),
            ("[t]\nexten => 1,1,NoOp()\nexten => 1,1,NoOp()", .duplicatePriority, 3),
            ("[t]\nexten => 1,1,", .missingApplication, 2),
            ("[t]\n; fine\nexten => 1,1,Dial(PJSIP/1", .missingClosingParenthesis, 3),
            ("[t]\nexten => 1/200,1,NoOp()", .unsupportedCallerIDMatch, 2),
        ]
        for (text, code, line) in cases {
            XCTAssertThrowsError(try DialplanParser.parse(text), text) { error in
                guard let error = error as? DialplanParseError else { return XCTFail("wrong error type") }
                XCTAssertEqual(error.code, code, text)
                XCTAssertEqual(error.line, line, text)
                XCTAssertTrue(error.description.hasPrefix("line \(line): "))
            }
        }
    }

    /// `reference/asterisk-20/config/extensions.conf`, verbatim.
    static let referenceConfiguration = """
        [general]
        static = yes
        writeprotect = yes

        [internal]
        exten => _1XX,1,Dial(SIP/${EXTEN},30)
         same => n,Hangup()
        ; outbound prefix 0
        exten => _0.,1,Dial(SIP/trunk/${EXTEN:1})
         same => n,Hangup()

        [c2c]
        exten => _X.,1,Dial(SIP/${EXTEN},${IF($["${C2C_TIMEOUT}" != ""]?${C2C_TIMEOUT}:30)})
         same => n,Hangup()

        [from_c2c]
        exten => _X.,1,Goto(internal,${EXTEN},1)

        ; KalliopePBX-style per-tenant wrapper pair
        [c2c_7d2c0e2a-1111-4222-8333-444455556666]
        exten => _X.,1,Set(__TENANT_UUID=7d2c0e2a-1111-4222-8333-444455556666)
         same => n,Set(C2C_SRC=${EXTEN})
         same => n,Goto(c2c,${EXTEN},1)

        [from_c2c_7d2c0e2a-1111-4222-8333-444455556666]
        exten => _X.,1,Set(C2C_DST=${EXTEN})
         same => n,Goto(from_c2c,${EXTEN},1)

        ; load-test target for Local-channel originate throughput
        [echo]
        exten => s,1,Answer()
         same => n,Wait(1)
         same => n,Hangup()

        [perf]
        exten => s,1,Answer()
         same => n,Hangup()
        """
}
