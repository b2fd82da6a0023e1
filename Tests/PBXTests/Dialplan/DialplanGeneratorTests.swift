import Foundation
import XCTest

@testable import PBX

final class DialplanGeneratorTests: XCTestCase {
    private let tenantA = Tenant(uuid: UUID(uuidString: "7D2C0E2A-1111-4222-8333-444455556666")!, name: "acme", domain: "acme.test")
    private let tenantB = Tenant(uuid: UUID(uuidString: "0B0B0B0B-2222-4333-8444-555566667777")!, name: "beta", domain: "beta.test")

    private func planA() -> Dialplan {
        DialplanGenerator().dialplan(
            tenant: tenantA, extensions: [Extension(number: "100"), Extension(number: "101")],
            trunks: [Trunk(name: "carrier", host: "127.0.0.1", port: 5090)],
            routes: [OutboundRoute(prefix: "0", trunk: "carrier", strip: 1)])
    }

    private func planB() -> Dialplan {
        DialplanGenerator().dialplan(tenant: tenantB, extensions: [Extension(number: "200")], trunks: [], routes: [])
    }

    func testGeneratedTextMirrorsReference() {
        let text = DialplanGenerator().configuration(
            tenant: tenantA, extensions: [Extension(number: "100")],
            trunks: [Trunk(name: "carrier", host: "h", port: 5060)],
            routes: [OutboundRoute(prefix: "0", trunk: "carrier", strip: 1)])
        for line in [
            "[internal]", "exten => 100,1,Dial(PJSIP/100,30)", " same => n,Hangup()",
            "exten => _0.,1,Dial(PJSIP/${EXTEN:1}@carrier)",
            "[c2c]", "exten => _X.,1,Dial(PJSIP/${EXTEN},${IF($[\"${C2C_TIMEOUT}\" != \"\"]?${C2C_TIMEOUT}:30)})",
            "[from_c2c]", "exten => _X.,1,Goto(internal,${EXTEN},1)",
            "[c2c_7d2c0e2a-1111-4222-8333-444455556666]", "exten => _X.,1,Set(__TENANT_UUID=7d2c0e2a-1111-4222-8333-444455556666)",
            " same => n,Set(C2C_SRC=${EXTEN})", " same => n,Goto(c2c,${EXTEN},1)",
            "[from_c2c_7d2c0e2a-1111-4222-8333-444455556666]", "exten => _X.,1,Set(C2C_DST=${EXTEN})",
            " same => n,Goto(from_c2c,${EXTEN},1)",
        ] {
            XCTAssertTrue(text.components(separatedBy: "\n").contains(line), "missing: \(line)\n\(text)")
        }
    }

    func testExternalNumberFromC2CReachesTrunkWithPrefixStripped() {
        var driver = DialplanTestDriver(planA(), context: "from_c2c", exten: "0391234567")
        guard case .application(let call) = driver.run() else { return XCTFail("no Dial: \(driver.trace)") }
        XCTAssertEqual(call.application, "Dial")
        XCTAssertEqual(call.data, "PJSIP/391234567@carrier")
        XCTAssertEqual(call.location, DialplanLocation(context: "internal", exten: "0391234567", priority: 1))
        XCTAssertEqual(call.dialArguments?.targets.first?.endpoint, "carrier")
        XCTAssertEqual(call.dialArguments?.targets.first?.number, "391234567")
        XCTAssertEqual(
            driver.trace,
            [
                "from_c2c,0391234567,1 *Goto(internal,0391234567,1)",
                "internal,0391234567,1 Dial(PJSIP/391234567@carrier)",
            ])
        // Dial returns (the callee hung up): the next priority hangs up, then the extension is done.
        XCTAssertEqual(
            driver.run(),
            .application(
                DialplanApplicationCall(
                    application: "Hangup", data: "",
                    location: DialplanLocation(context: "internal", exten: "0391234567", priority: 2))))
        XCTAssertEqual(driver.run(), .hangup(.endOfExtension(DialplanLocation(context: "internal", exten: "0391234567", priority: 3))))
    }

    func testInternalExtensionFromC2C() {
        var driver = DialplanTestDriver(planA(), context: "from_c2c", exten: "101")
        guard case .application(let call) = driver.run() else { return XCTFail("no Dial") }
        XCTAssertEqual(call.data, "PJSIP/101,30")
        XCTAssertEqual(call.dialArguments?.timeout, 30)
    }

    func testC2CLegDialsTheExtensionWithDefaultOrVariableTimeout() {
        var driver = DialplanTestDriver(planA(), context: "c2c", exten: "100")
        guard case .application(let call) = driver.run() else { return XCTFail("no Dial") }
        XCTAssertEqual(call.data, "PJSIP/100,30")
        var quick = DialplanTestDriver(planA(), context: "c2c", exten: "100", variables: DialplanVariables(["C2C_TIMEOUT": "10"]))
        guard case .application(let fast) = quick.run() else { return XCTFail("no Dial") }
        XCTAssertEqual(fast.data, "PJSIP/100,10")
    }

    func testWrapperContextsSetTenantVariables() {
        let (c2c, fromC2C) = DialplanGenerator.wrapperContexts(for: tenantA.uuid)
        var leg2 = DialplanTestDriver(planA(), context: c2c, exten: "100")
        guard case .application(let dial) = leg2.run() else { return XCTFail("no Dial") }
        XCTAssertEqual(
            leg2.trace,
            [
                "\(c2c),100,1 Set(__TENANT_UUID=7d2c0e2a-1111-4222-8333-444455556666)",
                "\(c2c),100,2 Set(C2C_SRC=100)",
                "\(c2c),100,3 *Goto(c2c,100,1)",
                "c2c,100,1 Dial(PJSIP/100,30)",
            ])
        XCTAssertEqual(dial.location.context, "c2c")
        XCTAssertEqual(leg2.variables.variable("TENANT_UUID"), "7d2c0e2a-1111-4222-8333-444455556666")
        XCTAssertEqual(leg2.variables.values["__TENANT_UUID"], "7d2c0e2a-1111-4222-8333-444455556666")
        XCTAssertEqual(leg2.variables.variable("C2C_SRC"), "100")

        var leg1 = DialplanTestDriver(planA(), context: fromC2C, exten: "0391234567")
        guard case .application(let trunk) = leg1.run() else { return XCTFail("no Dial") }
        XCTAssertEqual(trunk.data, "PJSIP/391234567@carrier")
        XCTAssertEqual(leg1.variables.variable("C2C_DST"), "0391234567")
        XCTAssertEqual(
            leg1.trace.map { $0.components(separatedBy: " ").last! },
            [
                "Set(C2C_DST=0391234567)", "*Goto(from_c2c,0391234567,1)", "*Goto(internal,0391234567,1)", "Dial(PJSIP/391234567@carrier)",
            ])
    }

    func testTenantsNeverReachEachOther() {
        // 200 exists only in tenant B: tenant A's from_c2c jumps to its own internal, which has no 200.
        var driver = DialplanTestDriver(planA(), context: "from_c2c", exten: "200")
        XCTAssertEqual(driver.run(), .hangup(.invalidExtension(DialplanLocation(context: "internal", exten: "200", priority: 1))))
        XCTAssertFalse(driver.trace.contains { $0.contains("Dial") })
        // Tenant B's wrapper context does not exist in tenant A's dialplan.
        let (bWrapper, _) = DialplanGenerator.wrapperContexts(for: tenantB.uuid)
        XCTAssertNil(planA()[context: bWrapper])
        var foreign = DialplanTestDriver(planA(), context: bWrapper, exten: "100")
        guard case .hangup(.invalidExtension) = foreign.run() else { return XCTFail("reached \(foreign.trace)") }
        // And tenant B reaches its own 200 but not A's 100.
        var own = DialplanTestDriver(planB(), context: "from_c2c", exten: "200")
        guard case .application(let call) = own.run() else { return XCTFail("no Dial") }
        XCTAssertEqual(call.data, "PJSIP/200,30")
        var other = DialplanTestDriver(planB(), context: "from_c2c", exten: "100")
        guard case .hangup(.invalidExtension) = other.run() else { return XCTFail("reached \(other.trace)") }
    }

    func testUnsafeConfigurationIsLeftOut() {
        let plan = DialplanGenerator(ringTimeout: 20).dialplan(
            tenant: tenantA,
            extensions: [Extension(number: "1,2"), Extension(number: "_9"), Extension(number: "102")],
            trunks: [Trunk(name: "carrier", host: "h", port: 5060), Trunk(name: "bad;name", host: "h", port: 5060)],
            routes: [
                OutboundRoute(prefix: "0", trunk: "carrier", strip: 1), OutboundRoute(prefix: "0", trunk: "carrier"),
                OutboundRoute(prefix: "9", trunk: "missing"), OutboundRoute(prefix: "8", trunk: "bad;name"),
                OutboundRoute(prefix: "N", trunk: "carrier"),
            ])
        XCTAssertEqual(plan[context: "internal"]?.extensions.map(\.name), ["102", "_0.", "_[N]."])
        XCTAssertEqual(plan.find(context: "internal", exten: "102", priority: 1)?.priority.data, "PJSIP/102,20")
        XCTAssertEqual(plan.find(context: "internal", exten: "N55", priority: 1)?.priority.data, "PJSIP/${EXTEN}@carrier")
        XCTAssertNil(plan.find(context: "internal", exten: "955", priority: 1))
    }
}
