import Testing

@testable import Admin

struct AdminLoginThrottleTests {
    @Test func failuresFromOneAddressDoNotLockTheNameElsewhere() {
        let throttle = AdminLoginThrottle(failures: 5, window: .seconds(300), lockout: .seconds(300))
        let now = ContinuousClock.now
        for _ in 0..<5 { throttle.recordFailure(address: "198.51.100.7", login: "admin", now: now) }
        #expect(throttle.isLockedOut(address: "198.51.100.7", login: "admin", now: now))
        #expect(throttle.isLockedOut(address: "198.51.100.7", login: "alice@acme.test", now: now), "the address is locked for every name")
        #expect(!throttle.isLockedOut(address: "203.0.113.9", login: "admin", now: now), "admin from another address logs in")
        #expect(!throttle.isLockedOut(address: "198.51.100.7", login: "admin", now: now + .seconds(301)), "the lock expires")
    }

    @Test func aSuccessForgetsOnlyItsOwnNamesFailures() {
        let throttle = AdminLoginThrottle(failures: 5, window: .seconds(300), lockout: .seconds(300))
        let now = ContinuousClock.now
        for _ in 0..<4 { throttle.recordFailure(address: "198.51.100.7", login: "admin", now: now) }
        throttle.recordSuccess(address: "198.51.100.7", login: "bob@acme.test")
        throttle.recordFailure(address: "198.51.100.7", login: "admin", now: now)
        #expect(throttle.isLockedOut(address: "198.51.100.7", login: "admin", now: now), "bob's login did not wipe the guesses at admin")
    }
}
