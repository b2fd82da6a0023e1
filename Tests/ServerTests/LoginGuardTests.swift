import NIOCore
import Server
import XCTest

final class LoginGuardTests: XCTestCase {
    func testLockoutAfterFailuresWithinTheWindowOnly() {
        var policy = LoginGuard.Policy()
        policy.failures = 3
        policy.window = .seconds(60)
        policy.lockout = .seconds(300)
        let guardian = LoginGuard(policy: policy)
        let start = NIODeadline.uptimeNanoseconds(1_000_000_000_000)
        XCTAssertFalse(guardian.recordFailure("10.0.0.1", now: start))
        XCTAssertFalse(guardian.recordFailure("10.0.0.1", now: start + .seconds(61)), "the first failure has left the window")
        XCTAssertFalse(guardian.recordFailure("10.0.0.1", now: start + .seconds(62)))
        XCTAssertFalse(guardian.isLockedOut("10.0.0.1", now: start + .seconds(62)))
        XCTAssertTrue(guardian.recordFailure("10.0.0.1", now: start + .seconds(63)))
        XCTAssertTrue(guardian.isLockedOut("10.0.0.1", now: start + .seconds(64)))
        XCTAssertFalse(guardian.isLockedOut("10.0.0.2", now: start + .seconds(64)), "other addresses are unaffected")
        XCTAssertTrue(guardian.isLockedOut("10.0.0.1", now: start + .seconds(362)))
        XCTAssertFalse(guardian.isLockedOut("10.0.0.1", now: start + .seconds(364)), "the lockout expires")
    }

    func testSuccessClearsFailures() {
        var policy = LoginGuard.Policy()
        policy.failures = 2
        let guardian = LoginGuard(policy: policy)
        let now = NIODeadline.uptimeNanoseconds(5_000_000_000)
        XCTAssertFalse(guardian.recordFailure("::1", now: now))
        guardian.recordSuccess("::1")
        XCTAssertFalse(guardian.recordFailure("::1", now: now))
    }
}
