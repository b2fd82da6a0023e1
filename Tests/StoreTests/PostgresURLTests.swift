import Foundation
import Store
import XCTest

/// `--database`: postgres:// and postgresql:// URLs only, `sslmode` and `sslrootcert`; the password is never
/// part of the description.
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
            "postgres://u:pw1@h/", "postgres://u:pw1@h:99999/d", "postgres://u:pw1@h/d?sslmode=allow",
            "postgres://u:pw1@h/d?sslmode=REQUIRE", "postgres://u:pw1@h/d?sslmode", "postgres://u:pw1@h/d?application_name=x",
            "postgres://u:pw1@h/d?sslmode=require&sslmode=disable", "postgres://u:pw1@h/d?sslmode=require&sslrootcert=/x.pem",
            "postgres://u:pw1@h/d?sslrootcert=/x.pem", "postgres://u:pw1@h/d?sslmode=verify-full&sslrootcert=", "postgres://u:pw1@h/d#x",
        ] {
            XCTAssertThrowsError(try PostgresURL(parsing: text), text) { error in
                XCTAssertFalse("\(error)".contains("pw1"), "\(error)")
            }
        }
    }

    func testWithoutSSLModeThereIsNoTLS() throws {
        let url = try PostgresURL(parsing: "postgres://u@h/d")
        XCTAssertEqual(url.tlsMode, .disable)
        XCTAssertNil(url.rootCertificateFile)
        XCTAssertFalse(try url.connectionTLS().isAllowed)
        XCTAssertEqual(try PostgresURL(parsing: "postgres://u@h/d?sslmode=disable"), url)
    }

    func testSSLModesAndRootCertificate() throws {
        let require = try PostgresURL(parsing: "postgres://u:pw1@h/d?sslmode=require")
        XCTAssertEqual(require.tlsMode, .require)
        XCTAssertEqual(require.description, "postgres://u@h:5432/d?sslmode=require")
        XCTAssertTrue(try require.connectionTLS().isEnforced)
        let prefer = try PostgresURL(parsing: "postgres://u@h/d?sslmode=prefer")
        XCTAssertTrue(try prefer.connectionTLS().isAllowed)
        XCTAssertFalse(try prefer.connectionTLS().isEnforced)
        let full = try PostgresURL(parsing: "postgresql://u:pw1@h:6543/d?sslmode=verify-full&sslrootcert=/etc/ssl/db%20ca.pem")
        XCTAssertEqual(full.tlsMode, .verifyFull)
        XCTAssertEqual(full.rootCertificateFile, "/etc/ssl/db ca.pem")
        XCTAssertEqual(full.port, 6543)
        XCTAssertEqual(full.description, "postgres://u@h:6543/d?sslmode=verify-full&sslrootcert=/etc/ssl/db ca.pem")
        XCTAssertEqual(try PostgresURL(parsing: "postgres://u@h/d?sslmode=verify-ca").tlsMode, .verifyCA)
        // verify-* without sslrootcert: the system's roots.
        XCTAssertTrue(try PostgresURL(parsing: "postgres://u@h/d?sslmode=verify-full").connectionTLS().isEnforced)
    }

    func testAnUnreadableRootCertificateFailsBeforeConnecting() throws {
        let missing = try PostgresURL(parsing: "postgres://u@h/d?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem")
        XCTAssertThrowsError(try missing.connectionTLS()) { error in
            XCTAssertTrue("\(error)".contains("sslrootcert /nonexistent/ca.pem"), "\(error)")
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("not-a-cert-\(UUID().uuidString).pem")
        try Data("hello".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let garbage = try PostgresURL(parsing: "postgres://u@h/d?sslmode=verify-ca&sslrootcert=\(file.path)")
        XCTAssertThrowsError(try garbage.connectionTLS())
    }
}
