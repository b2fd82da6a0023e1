import NIOCore
import NodeSupport
import XCTest

final class LoginGuardTests: XCTestCase {
    func testLockoutAfterFailuresWithinTheWindowOnly() {
        var policy = LoginGuard.Policy()
        policy.failures = 3
        policy.accountFailures = 3
        policy.window = .seconds(60)
        policy.lockout = .seconds(300)
        let guardian = LoginGuard(policy: policy)
        let start = NIODeadline.uptimeNanoseconds(1_000_000_000_000)
        XCTAssertNil(guardian.recordFailure("10.0.0.1", account: "a", now: start))
        XCTAssertNil(guardian.recordFailure("10.0.0.1", account: "b", now: start + .seconds(61)), "the first failure has left the window")
        XCTAssertNil(guardian.recordFailure("10.0.0.1", account: "c", now: start + .seconds(62)))
        XCTAssertFalse(guardian.isLockedOut("10.0.0.1", account: "a", now: start + .seconds(62)))
        XCTAssertEqual(guardian.recordFailure("10.0.0.1", account: "d", now: start + .seconds(63)), .address)
        XCTAssertTrue(guardian.isLockedOut("10.0.0.1", account: "anyone", now: start + .seconds(64)), "the address lock covers every account")
        XCTAssertFalse(guardian.isLockedOut("10.0.0.2", account: "a", now: start + .seconds(64)), "other addresses are unaffected")
        XCTAssertTrue(guardian.isLockedOut("10.0.0.1", account: "a", now: start + .seconds(362)))
        XCTAssertFalse(guardian.isLockedOut("10.0.0.1", account: "a", now: start + .seconds(364)), "the lockout expires")
    }

    func testSuccessClearsOnlyItsOwnAccountsFailures() {
        var policy = LoginGuard.Policy()
        policy.failures = 5
        policy.accountFailures = 5
        let guardian = LoginGuard(policy: policy)
        let now = NIODeadline.uptimeNanoseconds(5_000_000_000)
        XCTAssertNil(guardian.recordFailure("::1", account: "mine", now: now))
        guardian.recordSuccess("::1", account: "mine")
        // The attack of the issue: four guesses at B, one valid login as A, again and again.
        for _ in 0..<4 {
            XCTAssertNil(guardian.recordFailure("::1", account: "victim", now: now))
        }
        guardian.recordSuccess("::1", account: "mine")
        XCTAssertFalse(guardian.isLockedOut("::1", account: "victim", now: now))
        XCTAssertNotNil(guardian.recordFailure("::1", account: "victim", now: now), "A's successes did not wipe B's failures")
        XCTAssertTrue(guardian.isLockedOut("::1", account: "victim", now: now))
    }

    func testAccountLockLeavesOtherAccountsOfTheAddressAlone() {
        var policy = LoginGuard.Policy()
        policy.failures = 10
        policy.accountFailures = 3
        let guardian = LoginGuard(policy: policy)
        let now = NIODeadline.uptimeNanoseconds(5_000_000_000)
        XCTAssertNil(guardian.recordFailure("10.0.0.9", account: "101", now: now))
        XCTAssertNil(guardian.recordFailure("10.0.0.9", account: "101", now: now))
        XCTAssertEqual(guardian.recordFailure("10.0.0.9", account: "101", now: now), .account)
        XCTAssertTrue(guardian.isLockedOut("10.0.0.9", account: "101", now: now))
        XCTAssertFalse(guardian.isLockedOut("10.0.0.9", account: "102", now: now), "a neighbour behind the same NAT goes on")
        XCTAssertFalse(guardian.isLockedOut("10.0.0.8", account: "101", now: now), "the account from elsewhere goes on")
        guardian.recordSuccess("10.0.0.9", account: "101")
        XCTAssertTrue(guardian.isLockedOut("10.0.0.9", account: "101", now: now), "a lock is not lifted by a success")
    }
}
