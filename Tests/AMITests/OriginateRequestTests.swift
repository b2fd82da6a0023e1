import AMI
import XCTest

final class OriginateRequestTests: XCTestCase {
    func message(_ lines: [(String, String)]) -> AMIMessage {
        AMIMessage(headers: lines.map { AMIMessage.Header(name: $0.0, value: $0.1) })
    }

    let crm: AMIPermissions = [.call, .originate]

    func testKalliopeVariablesForm() throws {
        let request = try OriginateRequest.parse(
            message([
                ("Action", "Originate"), ("Async", "true"), ("Channel", "Local/100@c2c"), ("Context", "from_c2c"),
                ("Exten", "0391234567"), ("CallerId", "\"c2c: 0391234567\" <0391234567>"), ("Timeout", "10000"), ("Priority", "1"),
                ("Variable", "C2C_SRC=100"), ("Variable", "C2C_DST=0391234567"),
                ("Variable", "__TENANT_UUID=7d2c0e2a-1111-4222-8333-444455556666"), ("ActionID", "c2c-1"),
            ]), writePermissions: crm)
        XCTAssertEqual(request.technology, "Local")
        XCTAssertEqual(request.resource, "100@c2c")
        XCTAssertEqual(request.destination, .extensionTarget(context: "from_c2c", exten: "0391234567", priority: 1))
        XCTAssertEqual(request.timeout, 10000)
        XCTAssertTrue(request.async)
        XCTAssertEqual(request.callerID, "\"c2c: 0391234567\" <0391234567>")
        XCTAssertEqual(request.variables.map(\.name), ["__TENANT_UUID", "C2C_DST", "C2C_SRC"], "Asterisk sets them in reverse order")
    }

    func rejection(_ lines: [(String, String)], permissions: AMIPermissions? = nil) -> String? {
        do {
            _ = try OriginateRequest.parse(message(lines), writePermissions: permissions ?? crm)
            return nil
        } catch {
            return error.message
        }
    }

    func testAsteriskErrorTextsInAsteriskOrder() {
        XCTAssertEqual(rejection([("ChannelId", String(repeating: "x", count: 150))]), "Uniqueid length exceeds maximum of 149")
        XCTAssertEqual(rejection([("Exten", "100")]), "Channel not specified")
        XCTAssertEqual(rejection([("Channel", "Local/1@c"), ("Priority", "start")]), "Invalid priority")
        XCTAssertEqual(rejection([("Channel", "Local/1@c"), ("Priority", "1"), ("Timeout", "10s")]), "Invalid timeout")
        XCTAssertEqual(rejection([("Channel", "nochannel"), ("Priority", "1")]), "Invalid channel")
        XCTAssertEqual(
            rejection([("Channel", "Local/1@c"), ("Application", "System"), ("Data", "id")]),
            "Originate Access Forbidden: app or data blacklisted")
        XCTAssertEqual(
            rejection([("Channel", "Local/1@c"), ("Application", "NoOp"), ("Data", "${SHELL(id)}")]),
            "Originate Access Forbidden: app or data blacklisted")
        XCTAssertNil(rejection([("Channel", "Local/1@c"), ("Application", "System"), ("Data", "id")], permissions: .all))
        XCTAssertEqual(
            rejection([("Channel", "Local/1@c"), ("Context", "c"), ("Exten", "1")]),
            "Originate with 'Exten' requires 'Context' and 'Priority'")
        XCTAssertNil(
            rejection([("Channel", "Local/1@c"), ("Context", "c"), ("Exten", "1"), ("Async", "yes")]),
            "Async without Priority is accepted (priority 1)")
    }

    func testLabelsResolveThroughTheDialplan() throws {
        let request = try OriginateRequest.parse(
            message([("Channel", "PJSIP/100"), ("Context", "c"), ("Exten", "s"), ("Priority", "start")]),
            writePermissions: crm
        ) { _, _, label in label == "start" ? 3 : nil }
        XCTAssertEqual(request.destination, .extensionTarget(context: "c", exten: "s", priority: 3))
    }

    /// The observation of ami-reference.md §1.4: VarSet order PLAIN, __TRACKID, CRMID.
    func testVariableSplittingRules() {
        let parsed = AMIVariables.parse(message([("Variable", "CRMID=42"), ("Variable", "__TRACKID=abc,PLAIN=1")]))
        XCTAssertEqual(parsed.map(\.name), ["PLAIN", "__TRACKID", "CRMID"])
        let tricky = AMIVariables.parse(message([("Variable", "A=\"x,y\",B=f(1,2),C=a\\,b,NOEQUALS,=empty,D=")]))
        XCTAssertEqual(tricky.map(\.name), ["D", "C", "B", "A"])
        XCTAssertEqual(tricky.map(\.value), ["", "a,b", "f(1,2)", "x,y"])
        XCTAssertEqual(AMIVariables.splitArguments("a,b,c,d", limit: 3), ["a", "b", "c,d"])
    }
}
