import Store
import XCTest

/// `centralino apply` refuses control characters in every text field and numbers outside their
/// range (issue 9, defects 1 and 11); the error names line and field and never echoes a raw CR/LF.
final class ProvisioningInputValidationTests: XCTestCase {
    func document(
        extensionName: String = "\"Alice\"", trunk: String = "{ name: carrier, host: 127.0.0.1, port: 5090 }",
        route: String = "{ prefix: \"0\", trunk: carrier, strip: 1 }", permit: String = "\"127.0.0.1/32\""
    ) -> String {
        """
        tenants:
          - name: acme
            extensions:
              - { number: "100", name: \(extensionName), password: "pw100" }
            trunks:
              - \(trunk)
            outbound_routes:
              - \(route)
            ami_users:
              - username: crm
                password: s3cret
                permit: [\(permit)]
        """
    }

    func assertRefused(_ yaml: String, field: String, contains text: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try ProvisioningParser.parse(yaml: yaml), file: file, line: line) { error in
            guard let error = error as? ProvisioningError else { return XCTFail("\(error)", file: file, line: line) }
            XCTAssertTrue(error.field.hasSuffix(field), "\(error)", file: file, line: line)
            XCTAssertTrue(error.message.contains(text), "\(error)", file: file, line: line)
            XCTAssertGreaterThan(error.line, 0, file: file, line: line)
            XCTAssertFalse(
                error.description.unicodeScalars.contains { $0.value < 0x20 }, "\(error.description.debugDescription)",
                file: file, line: line)
        }
    }

    func testValidDocument() throws {
        XCTAssertNoThrow(try ProvisioningParser.parse(yaml: document()))
        XCTAssertNoThrow(try ProvisioningParser.parse(yaml: document(extensionName: "\"Zoë Müller-O'Brien\"")))
    }

    func testControlCharactersAreRefused() {
        for name in [#""Alice\r\nX-Injected: yes""#, #""Bob\u0000""#, #""Eve\rX""#, #""Tab\tbed""#, #""Esc\e[31m""#, #""Nel\N""#, #""Sep\L""#] {
            assertRefused(document(extensionName: name), field: "name", contains: "without control characters")
        }
        assertRefused(document(trunk: #"{ name: carrier, host: 127.0.0.1, username: "u\r\nX: y" }"#), field: "username", contains: "control")
        assertRefused(document(trunk: #"{ name: carrier, host: 127.0.0.1, password: "p\nw" }"#), field: "password", contains: "printable")
        assertRefused(document(trunk: #"{ name: "car\nrier", host: 127.0.0.1 }"#), field: "name", contains: "letters")
        assertRefused(document(trunk: #"{ name: carrier, host: "127.0.0.1\r\n" }"#), field: "host", contains: "host name")
        assertRefused(document(route: #"{ prefix: "0", trunk: "carrier\r\nX: y" }"#), field: "trunk", contains: "letters")
        assertRefused(document(permit: #""127.0.0.1/32\r\n""#), field: "permit", contains: "control character")
    }

    func testNumbersOutOfRangeAreRefused() {
        for port in ["99999999999999999999", "0", "65536", "-1", "1e3", "5060.5", ".inf", "\"nan\""] {
            assertRefused(document(trunk: "{ name: carrier, host: 127.0.0.1, port: \(port) }"), field: "port", contains: "from 1 to 65535")
        }
        for strip in ["99999999999999999999", "-1", "81", "1.5", "x"] {
            assertRefused(document(route: "{ prefix: \"0\", trunk: carrier, strip: \(strip) }"), field: "strip", contains: "from 0 to 80")
        }
    }
}
