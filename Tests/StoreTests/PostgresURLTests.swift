import Store
import XCTest

/// `--database`: postgres:// and postgresql:// URLs only; the password is never part of the description.
final class PostgresURLTests: XCTestCase {
    func testFullURLIsParsedAndItsDescriptionHidesThePassword() throws {
        let url = try PostgresURL(parsing: "postgresql://centralino:s%40cret@db.example:6543/pbx")
        XCTAssertEqual(url.host, "db.example")
        XCTAssertEqual(url.port, 6543)
        XCTAssertEqual(url.user, "centralino")
        XCTAssertEqual(url.password, "s@cret")
        XCTAssertEqual(url.database, "pbx")
        XCTAssertEqual(url.description, "postgres://centralino@db.example:6543/pbx")
        XCTAssertFalse("\(url)".contains("cret"))
    }

    func testDefaultsAndIPv6() throws {
        let url = try PostgresURL(parsing: "postgres://u@[::1]/d")
        XCTAssertEqual(url.host, "::1")
        XCTAssertEqual(url.port, 5432)
        XCTAssertNil(url.password)
        XCTAssertEqual(url.description, "postgres://u@[::1]:5432/d")
    }

    func testOtherSchemesAndIncompleteURLsAreRefusedWithoutRepeatingThem() {
        for text in [
            "mysql://u:pw1@h/d", "sqlite:///tmp/x", "postgres://h/d", "postgres://u:pw1@/d", "postgres://u:pw1@h",
            "postgres://u:pw1@h/", "postgres://u:pw1@h/d?sslmode=require", "postgres://u:pw1@h:99999/d",
        ] {
            XCTAssertThrowsError(try PostgresURL(parsing: text), text) { error in
                XCTAssertFalse("\(error)".contains("pw1"), "\(error)")
            }
        }
    }
}
