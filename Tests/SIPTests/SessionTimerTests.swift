import XCTest

@testable import SIP

/// RFC 4028 session timers: header parsing, the UAS's answer to a request, and the timer on a
/// manual clock (microseconds).
final class SessionTimerTests: XCTestCase {
    private func invite(_ extra: [(SIPHeaderName, String)]) -> SIPRequest {
        var headers = SIPHeaders()
        headers.add(.callID, "a@b")
        headers.add(.cseq, "1 INVITE")
        for (name, value) in extra { headers.add(name, value) }
        return SIPRequest(method: .invite, uri: SIPURI("sip:100@example.com")!, headers: headers)
    }

    func testParsesSessionExpires() {
        XCTAssertTrue(SessionExpires("1800") == SessionExpires(seconds: 1800))
        XCTAssertTrue(SessionExpires(" 90 ;Refresher=UAS") == SessionExpires(seconds: 90, refresher: .uas))
        XCTAssertTrue(SessionExpires("90;refresher=proxy") == nil)
        XCTAssertTrue(SessionExpires("") == nil)
        XCTAssertTrue(SessionExpires("-5") == nil)
        XCTAssertTrue(SessionExpires("99999999999") == nil)
        XCTAssertTrue(SessionExpires("4294967296") == nil)
        XCTAssertTrue(SessionExpires(seconds: 600, refresher: .uac).description == "600;refresher=uac")
    }

    func testAnswersRequests() {
        let policy = SessionTimerPolicy()
        XCTAssertTrue(policy.answer(invite([])) == .none)
        XCTAssertTrue(policy.answer(invite([(.sessionExpires, "60")])) == .tooSmall(minimumSE: 90))
        XCTAssertTrue(policy.answer(invite([(.sessionExpires, "60"), (SessionTimerPolicy.minSEHeader, "120")])) == .tooSmall(minimumSE: 120))
        XCTAssertTrue(policy.answer(invite([(.sessionExpires, "abc")])) == .malformed("Bad Session-Expires"))
        XCTAssertTrue(policy.answer(invite([(.sessionExpires, "600"), (SessionTimerPolicy.minSEHeader, "x")])) == .malformed("Bad Min-SE"))
        // No timer support at the UAC: we refresh, no Require.
        XCTAssertTrue(policy.answer(invite([(.sessionExpires, "600")])) == .accept(SessionExpires(seconds: 600, refresher: .uas), require: false))
        // Supported: timer, no refresher: the UAC refreshes.
        XCTAssertTrue(
            policy.answer(invite([(.sessionExpires, "600"), (.supported, "replaces, timer")]))
                == .accept(SessionExpires(seconds: 600, refresher: .uac), require: true))
        XCTAssertTrue(
            policy.answer(invite([(.sessionExpires, "600;refresher=uas"), (.supported, "timer")]))
                == .accept(SessionExpires(seconds: 600, refresher: .uas), require: true))
        // Longer than ours: shortened to ours, not below the request's Min-SE.
        XCTAssertTrue(
            policy.answer(invite([(.sessionExpires, "7200"), (.supported, "timer")]))
                == .accept(SessionExpires(seconds: 1800, refresher: .uac), require: true))
        XCTAssertTrue(
            policy.answer(invite([(.sessionExpires, "7200"), (SessionTimerPolicy.minSEHeader, "3600"), (.supported, "timer")]))
                == .accept(SessionExpires(seconds: 3600, refresher: .uac), require: true))
        XCTAssertTrue(SessionTimerPolicy(sessionExpires: 0).answer(invite([(.sessionExpires, "600")])) == .none)
    }

    func testRefresheeExpiresBeforeTheInterval() {
        // 90 s: declared dead at 90 - min(32, 30) = 60 s.
        var timer = SessionTimer(interval: 90, refresher: false, now: 0)
        XCTAssertTrue(timer.due == 60_000_000)
        XCTAssertTrue(timer.fire(now: 59_999_999) == nil)
        XCTAssertTrue(timer.fire(now: 60_000_000) == .expire)
        XCTAssertTrue(timer.due == nil)
        XCTAssertTrue(timer.fire(now: 120_000_000) == nil)
        // 1800 s: 1800 - 32.
        XCTAssertTrue(SessionTimer(interval: 1800, refresher: false, now: 0).due == 1_768_000_000)
    }

    func testRefreshKeepsTheSessionAlive() {
        var timer = SessionTimer(interval: 90, refresher: false, now: 0)
        timer.refreshed(interval: 90, refresher: false, now: 40_000_000)
        XCTAssertTrue(timer.fire(now: 60_000_000) == nil)
        XCTAssertTrue(timer.due == 100_000_000)
    }

    func testRefresherRefreshesAtHalfTheInterval() {
        var timer = SessionTimer(interval: 90, refresher: true, now: 0)
        XCTAssertTrue(timer.due == 45_000_000)
        XCTAssertTrue(timer.fire(now: 45_000_000) == .refresh)
        // Waiting for the refresh's 2xx: expiry at 60 s unless it succeeds.
        XCTAssertTrue(timer.due == 60_000_000)
        timer.refreshed(interval: 90, refresher: true, now: 45_500_000)
        XCTAssertTrue(timer.due == 90_500_000)
        XCTAssertTrue(timer.fire(now: 90_500_000) == .refresh)
        XCTAssertTrue(timer.fire(now: 105_500_000) == .expire)
        XCTAssertTrue(timer.due == nil)
    }

    func testShortIntervals() {
        // 6 s: margin 2 s; refresher refreshes at 3 s.
        XCTAssertTrue(SessionTimer(interval: 6, refresher: false, now: 0).due == 4_000_000)
        XCTAssertTrue(SessionTimer(interval: 6, refresher: true, now: 0).due == 3_000_000)
        XCTAssertTrue(SessionTimer.margin(interval: 1) == 0)
    }
}
