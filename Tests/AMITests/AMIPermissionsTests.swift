import AMI
import XCTest

final class AMIPermissionsTests: XCTestCase {
    func testClassListParsing() {
        XCTAssertEqual(AMIPermissions(classList: "call,originate"), [.call, .originate])
        XCTAssertEqual(AMIPermissions(classList: "all"), .all)
        XCTAssertEqual(AMIPermissions(classList: "none"), AMIPermissions.none)
        XCTAssertNil(AMIPermissions(classList: "call,bogus"))
        XCTAssertNil(AMIPermissions(classList: "Call"), "class names are case-sensitive, as in manager.conf")
    }

    func testAuthorityStringAsAsteriskWritesIt() {
        XCTAssertEqual(AMIPermissions.call.authorityString, "call,all")
        XCTAssertEqual(AMIPermissions([.system, .call, .reporting]).authorityString, "system,call,reporting,all")
        XCTAssertEqual(AMIPermissions.none.authorityString, "<none>")
        XCTAssertEqual(AMIPermissions.security.authorityString, "security,all")
    }

    func testOneClassAuthorityMatchesTheGeneralText() {
        // One-class sets take a table built at start; it must say what the general case says.
        for bit in 0..<31 {
            let one = AMIPermissions(rawValue: 1 << bit)
            let general = AMIPermissions.named.filter { !one.isDisjoint(with: $0.permission) }.map(\.name) + ["all"]
            XCTAssertEqual(one.authorityString, general.joined(separator: ","), "bit \(bit)")
        }
        XCTAssertEqual(AMIPermissions(rawValue: 1 << 14).authorityString, "all", "a bit of no class")
        XCTAssertEqual(AMIPermissions.message.authorityString, "message,all")
    }

    func testClassByName() {
        for entry in AMIPermissions.named { XCTAssertEqual(AMIPermissions.named(entry.name), entry.permission) }
        XCTAssertNil(AMIPermissions.named("Call"))
        XCTAssertNil(AMIPermissions.named("calls"))
        XCTAssertNil(AMIPermissions.named(""))
        XCTAssertNil(AMIPermissions.named("all"), "all is a word of lists, not a class")
    }

    func testEventMask() {
        XCTAssertEqual(AMIPermissions.eventMask(from: ""), .all)
        XCTAssertEqual(AMIPermissions.eventMask(from: "off"), AMIPermissions.none)
        XCTAssertEqual(AMIPermissions.eventMask(from: "No"), AMIPermissions.none)
        XCTAssertEqual(AMIPermissions.eventMask(from: "on"), .all)
        XCTAssertEqual(AMIPermissions.eventMask(from: "system,call"), [.system, .call])
        XCTAssertEqual(AMIPermissions.eventMask(from: "foo"), AMIPermissions.none)
        XCTAssertEqual(AMIPermissions.eventMask(from: "2"), .call)
    }

    func testActionGatingNeedsAnyOneClass() {
        let catalog = AMIActionCatalog.standard
        let crm: AMIPermissions = [.call, .originate]
        XCTAssertTrue(catalog.descriptor(named: "originate")!.isPermitted(for: crm))
        XCTAssertTrue(catalog.descriptor(named: "HANGUP")!.isPermitted(for: crm))
        XCTAssertFalse(catalog.descriptor(named: "CoreShowChannels")!.isPermitted(for: crm))
        XCTAssertFalse(catalog.descriptor(named: "Command")!.isPermitted(for: crm))
        XCTAssertTrue(catalog.descriptor(named: "Ping")!.isPermitted(for: .none))
    }

    func testListCommandsLineShape() {
        let catalog = AMIActionCatalog.standard
        XCTAssertEqual(catalog.descriptor(named: "Hangup")!.listCommandsValue, "Hangup channel.  (Priv: system,call,all)")
        XCTAssertEqual(catalog.descriptor(named: "Ping")!.listCommandsValue, "Keepalive command.  (Priv: <none>)")
        let names = catalog.permitted(for: .all).map(\.name)
        XCTAssertEqual(names, names.sorted { $0.lowercased() < $1.lowercased() })
    }

    func testBooleans() {
        for word in ["yes", "TRUE", "y", "t", "1", "On"] { XCTAssertTrue(AMIBoolean.isTrue(word), word) }
        for word in ["no", "False", "n", "f", "0", "OFF"] { XCTAssertTrue(AMIBoolean.isFalse(word), word) }
        XCTAssertFalse(AMIBoolean.isTrue("maybe"))
    }
}
