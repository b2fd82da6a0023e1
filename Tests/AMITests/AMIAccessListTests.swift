import AMI
import XCTest

final class AMIAccessListTests: XCTestCase {
    func acl(_ entries: String...) throws -> AMIAccessList { try AMIAccessList(parsing: entries) }

    func testIPv4CIDRAndDottedMasks() throws {
        let list = try acl("10.0.0.0/8", "192.168.1.0/255.255.255.0", "127.0.0.1")
        XCTAssertTrue(list.permits("10.255.1.2"))
        XCTAssertTrue(list.permits("192.168.1.77"))
        XCTAssertFalse(list.permits("192.168.2.1"))
        XCTAssertTrue(list.permits("127.0.0.1"))
        XCTAssertFalse(list.permits("127.0.0.2"))
        XCTAssertFalse(list.permits("11.0.0.1"))
    }

    func testEdgeBits() throws {
        let list = try acl("172.16.0.0/12")
        XCTAssertTrue(list.permits("172.16.0.0"))
        XCTAssertTrue(list.permits("172.31.255.255"))
        XCTAssertFalse(list.permits("172.32.0.0"))
        XCTAssertFalse(list.permits("172.15.255.255"))
        let odd = try acl("10.1.2.3/31")
        XCTAssertTrue(odd.permits("10.1.2.2"))
        XCTAssertTrue(odd.permits("10.1.2.3"))
        XCTAssertFalse(odd.permits("10.1.2.4"))
        XCTAssertTrue(try acl("0.0.0.0/0").permits("8.8.8.8"))
        XCTAssertFalse(try acl("0.0.0.0/0").permits("::1"), "IPv4 rules never match IPv6 clients")
    }

    func testIPv6() throws {
        let list = try acl("::1/128", "2001:db8::/32")
        XCTAssertTrue(list.permits("::1"))
        XCTAssertTrue(list.permits("2001:db8:ffff::1"))
        XCTAssertFalse(list.permits("2001:db9::1"))
        XCTAssertFalse(list.permits("127.0.0.1"), "IPv6 rules never match IPv4 clients")
        XCTAssertTrue(try acl("2001:db8::1:0:0:1/127").permits("2001:db8:0:0:1::"))
    }

    func testIPv4MappedClientsAndRules() throws {
        XCTAssertTrue(try acl("127.0.0.1/32").permits("::ffff:127.0.0.1"))
        XCTAssertTrue(try acl("::ffff:10.0.0.0/104").permits("10.9.9.9"))
        XCTAssertFalse(try acl("::ffff:10.0.0.0/104").permits("11.9.9.9"))
    }

    func testEmptyListPermitsNothing() {
        XCTAssertFalse(AMIAccessList(rules: []).permits("127.0.0.1"))
    }

    func testInvalidEntriesAreRefused() {
        for bad in [
            "10.0.0.300/8", "10.0.0.0/33", "::1/129", "10.0.0.0/255.0.0.0.0", "10.0.0.0/ffff::", "host.example", "1.2.3", ":::1", "10.0.0.0/-1",
        ] {
            XCTAssertThrowsError(try AMIAccessRule(parsing: bad), bad)
        }
    }
}
