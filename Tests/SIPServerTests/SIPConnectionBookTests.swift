import NodeSupport
import XCTest

@testable import SIPServer

final class SIPConnectionBookTests: XCTestCase {
    func testCapsPerAddressAndInTotal() {
        let book = SIPConnectionBook(limits: .init(total: 5, perAddress: 2))
        XCTAssertNil(book.admit("192.0.2.1", hostPort: "192.0.2.1:5060"))
        XCTAssertNil(book.admit("192.0.2.1", hostPort: "192.0.2.1:5060"))
        XCTAssertEqual(book.admit("192.0.2.1", hostPort: "192.0.2.1:5060"), .perAddress)
        XCTAssertNil(book.admit("192.0.2.2", hostPort: "192.0.2.2:5060"))
        XCTAssertNil(book.admit("192.0.2.2", hostPort: "192.0.2.2:5060"))
        XCTAssertNil(book.admit("192.0.2.3", hostPort: "192.0.2.3:5060"))
        XCTAssertEqual(book.admit("192.0.2.4", hostPort: "192.0.2.4:5060"), .total)
        book.release("192.0.2.1", hostPort: "192.0.2.1:5060")
        XCTAssertNil(book.admit("192.0.2.4", hostPort: "192.0.2.4:5060"), "a closed connection frees its slot")
        XCTAssertEqual(book.counts.open, 5)
        XCTAssertEqual(book.counts.refused, 2)
    }

    func testRegistrationHoldIsForgottenWithTheConnection() {
        let book = SIPConnectionBook(limits: .init(total: 5, perAddress: 5))
        XCTAssertNil(book.admit("192.0.2.1", hostPort: "192.0.2.1:5070"))
        book.hold("192.0.2.1:5070", until: 1_000)
        book.hold("192.0.2.1:5070", until: 900)
        XCTAssertEqual(book.heldUntil("192.0.2.1:5070"), 1_000, "the latest registration counts")
        book.release("192.0.2.1", hostPort: "192.0.2.1:5070")
        XCTAssertNil(book.heldUntil("192.0.2.1:5070"))
        book.hold("192.0.2.1:5070", until: 2_000)
        XCTAssertNil(book.heldUntil("192.0.2.1:5070"), "a registration processed after its connection closed holds nothing")
    }

    func testDescriptorBudgetShares() {
        let low = DescriptorBudget(limit: 256)
        XCTAssertTrue(low.isLow)
        XCTAssertNotNil(low.warning)
        XCTAssertEqual(low.sipTCPConnections, 48)
        XCTAssertEqual(low.sipTCPConnectionsPerAddress, 12)
        XCTAssertLessThan(low.sipTCPConnections + low.amiConnections + low.httpConnections, low.limit)
        let high = DescriptorBudget(limit: 65_536)
        XCTAssertFalse(high.isLow)
        XCTAssertNil(high.warning)
        XCTAssertEqual(high.sipTCPConnectionsPerAddress, 64)
        XCTAssertGreaterThan(DescriptorBudget.current(raiseSoftLimit: false).limit, 0)
    }
}
