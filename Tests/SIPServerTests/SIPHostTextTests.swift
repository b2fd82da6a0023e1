import Foundation
import NIOCore
import SIPServer
import XCTest

final class SIPHostTextTests: XCTestCase {
    func testTrimmingBracketsAsFoundationTrims() {
        let brackets = CharacterSet(charactersIn: "[]")
        for host in ["[::1]", "::1", "127.0.0.1", "[2001:db8::5]", "", "[", "]]", "[[a]]", "a[b]c", "[x", "y]", "pbx.example.com"] {
            XCTAssertEqual(host.trimmingBrackets(), host.trimmingCharacters(in: brackets), host)
            XCTAssertEqual(host[...].trimmingBrackets(), host.trimmingCharacters(in: brackets), host)
        }
        let source = "[fe80::1]:5060"
        XCTAssertEqual(source[..<source.lastIndex(of: ":")!].trimmingBrackets(), "fe80::1")
    }

    func testHasColon() {
        XCTAssertTrue("::1".hasColon)
        XCTAssertTrue("2001:db8::5".hasColon)
        XCTAssertFalse("10.0.0.1".hasColon)
        XCTAssertFalse("".hasColon)
    }

    func testHostPortBracketsIPv6() throws {
        let v6 = SIPEndpoint(transport: .udp, address: try SocketAddress(ipAddress: "::1", port: 5060))
        let v4 = SIPEndpoint(transport: .udp, address: try SocketAddress(ipAddress: "127.0.0.1", port: 5070))
        XCTAssertEqual(v6.hostPort, "[::1]:5060")
        XCTAssertEqual(v4.hostPort, "127.0.0.1:5070")
    }
}
