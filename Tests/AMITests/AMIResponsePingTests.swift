import AMI
import NIOCore
import XCTest

final class AMIResponsePingTests: XCTestCase {
    /// The Ping fast path writes exactly what the general response writer writes.
    func testPongMatchesGeneralResponse() {
        let times = [1_795_755_207.647570, 1_795_755_207.0, 1_795_755_207.000001, 0.5, 0, 9.5, 10, 99.25, 100, 9_999_999_999.999999, -1.25]
        let actionIDs = ["", "1", "a-long-action-id-of-a-crm-0123456789", "evil\r\nX-Injected: yes"]
        for now in times {
            for actionID in actionIDs {
                var fast = ByteBuffer()
                AMIResponse.writePong(actionID: actionID, now: now, to: &fast)
                var general = ByteBuffer()
                AMIResponse(.success, actionID: actionID, fields: [("Ping", "Pong"), ("Timestamp", AMITime.timestamp(now))]).write(to: &general)
                XCTAssertEqual(String(buffer: fast), String(buffer: general), "now \(now), ActionID \(actionID.debugDescription)")
            }
        }
    }

    func testPongText() {
        var buffer = ByteBuffer()
        AMIResponse.writePong(actionID: "7", now: 1_795_755_207.000042, to: &buffer)
        XCTAssertEqual(String(buffer: buffer), "Response: Success\r\nActionID: 7\r\nPing: Pong\r\nTimestamp: 1795755207.000042\r\n\r\n")
    }

    func testEqualsIgnoringASCIICase() {
        XCTAssertTrue("ActionID".equalsIgnoringASCIICase("actionid"))
        XCTAssertTrue("".equalsIgnoringASCIICase(""))
        XCTAssertFalse("Action".equalsIgnoringASCIICase("ActionID"))
        XCTAssertFalse("ActionID".equalsIgnoringASCIICase("Action"))
        XCTAssertFalse("Actiom".equalsIgnoringASCIICase("action"))
        XCTAssertFalse("[".equalsIgnoringASCIICase("{"))
    }
}
