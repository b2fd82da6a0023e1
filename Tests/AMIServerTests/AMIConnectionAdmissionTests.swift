import AMI
import Foundation
import Logging
import PBX
import XCTest

@testable import AMIServer

/// The connection limits and the directory's admission rules, without sockets.
final class AMIConnectionAdmissionTests: XCTestCase {
    let tenant = UUID()
    let logger = Logger(label: "test")

    func directory(permit: [String] = ["127.0.0.0/8"], secret: String = "s3cret", enabled: Bool = true) -> AMIDirectory {
        let directory = AMIDirectory()
        directory.replace(with: [AMIAccount(tenant: tenant, username: "crm", secret: secret, permit: permit, enabled: enabled)], logger: logger)
        return directory
    }

    func context(_ adjust: (inout AMIServerConfiguration) -> Void, directory: AMIDirectory) -> AMIServerContext {
        var configuration = AMIServerConfiguration()
        adjust(&configuration)
        return AMIServerContext(
            configuration: configuration, directory: directory, bus: AMIEventBus(logger: logger), calls: nil,
            observer: nil, logger: logger, startTime: 0)
    }

    func testPerAddressGlobalAndTotalLimits() {
        let server = context(
            {
                $0.authLimit = 4
                $0.authLimitPerAddress = 2
                $0.maximumConnections = 5
            }, directory: directory())
        XCTAssertEqual(server.admit(address: "127.0.0.2"), .admitted)
        XCTAssertEqual(server.admit(address: "::ffff:127.0.0.2"), .admitted, "a mapped address is the same host")
        XCTAssertEqual(server.admit(address: "127.0.0.2"), .tooManyUnauthenticatedFromAddress)
        XCTAssertEqual(server.admit(address: "127.0.0.3"), .admitted)
        XCTAssertEqual(server.admit(address: "127.0.0.4"), .admitted)
        XCTAssertEqual(server.admit(address: "127.0.0.5"), .tooManyUnauthenticated)
        server.loggedIn(address: "127.0.0.2")
        XCTAssertEqual(server.admit(address: "127.0.0.2"), .admitted, "a login frees its unauthenticated slot")
        XCTAssertEqual(server.admit(address: "127.0.0.6"), .tooManyConnections, "five connections in all")
        server.closed(address: "127.0.0.2", authenticated: true)
        server.closed(address: "127.0.0.3", authenticated: false)
        XCTAssertEqual(server.admit(address: "127.0.0.6"), .admitted)
    }

    func testAddressesOutsideEveryACLAreRefusedBeforeTakingASlot() {
        let server = context({ $0.authLimit = 1 }, directory: directory(permit: ["10.0.0.0/8"]))
        XCTAssertEqual(server.admit(address: "192.0.2.1"), .outsideEveryACL)
        XCTAssertEqual(server.admit(address: "10.1.2.3"), .admitted, "the refused stranger took no slot")
        let disabled = context({ _ in }, directory: directory(enabled: false))
        XCTAssertEqual(disabled.admit(address: "127.0.0.1"), .outsideEveryACL, "a disabled user admits no one")
    }

    func testStillAdmits() throws {
        let before = directory()
        let entry = try XCTUnwrap(before.entry(for: "crm"))
        XCTAssertTrue(before.stillAdmits(entry, from: "127.0.0.1"))
        XCTAssertFalse(directory(secret: "changed").stillAdmits(entry, from: "127.0.0.1"), "a new password ends the session")
        XCTAssertFalse(directory(permit: ["127.0.0.2/32"]).stillAdmits(entry, from: "127.0.0.1"), "so does an ACL without its address")
        XCTAssertTrue(directory(permit: ["127.0.0.1/32"]).stillAdmits(entry, from: "127.0.0.1"))
        XCTAssertFalse(directory(enabled: false).stillAdmits(entry, from: "127.0.0.1"))
        XCTAssertFalse(AMIDirectory().stillAdmits(entry, from: "127.0.0.1"), "a removed user ends its sessions")
    }
}

extension AMIConnectionAdmissionTests {
    func testRefusalLogIsBounded() {
        let server = context({ _ in }, directory: directory())
        let logged = (0..<100).filter { _ in server.mayLogRefusal(now: 1000).log }.count
        XCTAssertEqual(logged, AMIServerContext.refusalLogLimit)
        let next = server.mayLogRefusal(now: 1000 + AMIServerContext.refusalLogWindow)
        XCTAssertTrue(next.log)
        XCTAssertEqual(next.suppressed, 100 - AMIServerContext.refusalLogLimit, "the next window reports what was not logged")
    }
}
