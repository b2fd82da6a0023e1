import NIOCore
import SIP
import XCTest

@testable import SIPServer

/// Where requests to a registered contact go: the first Path hop when it has one (RFC 3327), the
/// REGISTER's source otherwise.
final class PathRoutingTests: XCTestCase {
    func binding(path: [String], source: String = "203.0.113.1:5060") -> RegistrarBinding {
        RegistrarBinding(
            contact: SIPNameAddress("<sip:100@192.0.2.10:5062>")!, instance: nil, callID: "c", cseq: 1,
            expiresAt: 4_000_000_000, source: source, transport: "udp", userAgent: nil, path: path)
    }

    func testFirstPathHopIsTheDestination() throws {
        let endpoint = try XCTUnwrap(SIPCore.endpoint(binding(path: ["<sip:198.51.100.5:5070;lr>", "<sip:198.51.100.9;lr>"])))
        XCTAssertEqual(endpoint.transport, .udp)
        XCTAssertEqual(endpoint.address, try SocketAddress(ipAddress: "198.51.100.5", port: 5070))
    }

    func testHopDefaultsAndTransports() throws {
        XCTAssertEqual(SIPCore.endpoint(binding(path: ["<sip:198.51.100.5;lr>"]))?.address.port, 5060)
        XCTAssertEqual(SIPCore.endpoint(binding(path: ["<sip:198.51.100.5;lr;transport=tcp>"]))?.transport, .tcp)
        let tls = try XCTUnwrap(SIPCore.endpoint(binding(path: ["<sips:198.51.100.5;lr>"])))
        XCTAssertEqual(tls.transport, .tls)
        XCTAssertEqual(tls.address.port, 5061)
        XCTAssertEqual(SIPCore.endpoint(binding(path: ["<sip:[2001:db8::5]:5070;lr>"]))?.address.port, 5070)
    }

    func testWithoutPathOrWithAHostNameHopTheSourceIsUsed() throws {
        let source = try SocketAddress(ipAddress: "203.0.113.1", port: 5060)
        XCTAssertEqual(SIPCore.endpoint(binding(path: []))?.address, source)
        XCTAssertEqual(SIPCore.endpoint(binding(path: ["<sip:edge.example;lr>"]))?.address, source)
        XCTAssertEqual(SIPCore.endpoint(binding(path: ["<sip:198.51.100.5;lr;transport=sctp>"]))?.address, source)
    }
}
