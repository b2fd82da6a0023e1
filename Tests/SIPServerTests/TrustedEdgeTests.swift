import AMI
import Logging
import NIOCore
import SIP
import XCTest

@testable import SIPServer

/// `--sip-trusted-edges`: which sources may send Path and sign the proxy's own address.
final class TrustedEdgeTests: XCTestCase {
    func core(edges: [String]) throws -> SIPCore {
        var configuration = SIPServerConfiguration(host: "192.0.2.1", port: 5060)
        configuration.trustedEdges = try edges.map { try AMIAccessRule(parsing: $0) }
        return SIPCore(configuration: configuration, directory: SIPDirectory(), logger: Logger(label: "edge-test")) { _ in "192.0.2.1:5060" }
    }

    func source(_ ip: String, port: Int = 5060) throws -> SIPEndpoint {
        SIPEndpoint(transport: .udp, address: try SocketAddress(ipAddress: ip, port: port))
    }

    func testOnlySourcesInsideTheListAreEdges() throws {
        let core = try core(edges: ["10.0.0.0/24", "2001:db8::5"])
        XCTAssertTrue(core.isTrustedEdge(try source("10.0.0.7")))
        XCTAssertTrue(core.isTrustedEdge(try source("::ffff:10.0.0.7")), "an IPv4-mapped source of a dual-stack socket")
        XCTAssertTrue(core.isTrustedEdge(try source("2001:db8::5", port: 5070)))
        XCTAssertFalse(core.isTrustedEdge(try source("10.0.1.7")))
        XCTAssertFalse(core.isTrustedEdge(try source("2001:db8::6")))
        XCTAssertFalse(core.isTrustedEdge(try source("127.0.0.1")))
    }

    func testEmptyListTrustsNobody() throws {
        let core = try core(edges: [])
        XCTAssertFalse(core.isTrustedEdge(try source("127.0.0.1")))
        XCTAssertFalse(core.isTrustedEdge(try source("10.0.0.7")))
    }
}
