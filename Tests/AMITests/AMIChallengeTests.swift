import AMI
import XCTest

final class AMIChallengeTests: XCTestCase {
    /// The key from the Asterisk 20 transcript a05: challenge 980353286, secret s3cret.
    func testKeyMatchesAsteriskTranscript() {
        XCTAssertEqual(AMIChallenge.expectedKey(challenge: "980353286", secret: "s3cret"), "fcbc0c55bceff2d2573b2b556e2be7e3")
        XCTAssertTrue(AMIChallenge.verify(key: "FCBC0C55BCEFF2D2573B2B556E2BE7E3", challenge: "980353286", secret: "s3cret"))
        XCTAssertFalse(AMIChallenge.verify(key: "00000000000000000000000000000000", challenge: "980353286", secret: "s3cret"))
        XCTAssertFalse(AMIChallenge.verify(key: "", challenge: "980353286", secret: "s3cret"))
    }

    func testChallengeHasAtMostNineDigits() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<1000 {
            let challenge = AMIChallenge.generate(using: &generator)
            XCTAssertLessThanOrEqual(challenge.count, 9)
            XCTAssertNotNil(UInt32(challenge))
        }
    }

    func testTimeFormats() {
        XCTAssertEqual(AMITime.iso8601(1795755296.220), "2026-11-27T04:54:56.220+0000")
        XCTAssertEqual(AMITime.timestamp(1795755207.64757), "1795755207.647570")
        XCTAssertEqual(AMITime.civil(0).date, "1970-01-01")
        XCTAssertEqual(AMITime.civil(951_782_400).date, "2000-02-29")
    }
}
