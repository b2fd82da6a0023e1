import NIOCore
import XCTest
@testable import Media

final class SymmetricLatchTests: XCTestCase {
    private let sdp = try! SocketAddress(ipAddress: "192.168.1.10", port: 4000)
    private let nat = try! SocketAddress(ipAddress: "203.0.113.7", port: 61000)
    private let other = try! SocketAddress(ipAddress: "198.51.100.1", port: 5000)

    func testSDPAddressUntilTheFirstPacketThenTheRealSource() {
        var latch = SymmetricLatch(advertised: sdp)
        XCTAssertEqual(latch.destination, sdp)
        XCTAssertFalse(latch.isLatched)
        XCTAssertTrue(latch.accept(from: nat, at: 0))
        XCTAssertEqual(latch.destination, nat)
        XCTAssertTrue(latch.accept(from: nat, at: 1))
    }

    func testOtherSourcesAreRejectedOnceLatched() {
        var latch = SymmetricLatch(advertised: sdp)
        XCTAssertTrue(latch.accept(from: nat, at: 0))
        XCTAssertFalse(latch.accept(from: other, at: 1))
        XCTAssertFalse(latch.accept(from: sdp, at: 60_000_000_000)) // even much later, by default
        XCTAssertEqual(latch.destination, nat)
    }

    func testResetRelatches() {
        var latch = SymmetricLatch(advertised: sdp)
        XCTAssertTrue(latch.accept(from: nat, at: 0))
        latch.reset(advertised: other)
        XCTAssertEqual(latch.destination, other)
        XCTAssertTrue(latch.accept(from: sdp, at: 1))
        XCTAssertEqual(latch.destination, sdp)
    }

    func testOptionalRelatchAfterSilence() {
        var latch = SymmetricLatch(advertised: nil, relatchAfterSilence: 2_000_000_000)
        XCTAssertNil(latch.destination)
        XCTAssertTrue(latch.accept(from: nat, at: 1_000_000_000))
        XCTAssertTrue(latch.accept(from: nat, at: 2_000_000_000))
        XCTAssertFalse(latch.accept(from: other, at: 3_999_999_999)) // silent 1.999 s
        XCTAssertTrue(latch.accept(from: other, at: 4_000_000_000))  // silent 2 s
        XCTAssertEqual(latch.destination, other)
        XCTAssertFalse(latch.accept(from: nat, at: 4_000_000_001))
    }
}
