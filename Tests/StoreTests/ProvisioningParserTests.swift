import Store
import XCTest

final class ProvisioningParserTests: XCTestCase {
    let valid = """
        tenants:
          - name: acme
            uuid: 7d2c0e2a-1111-4222-8333-444455556666
            domain: acme.test
            tone_country: it
            extensions:
              - { number: "100", name: "Alice", password: "pw100" }
              - { number: "101", password: "pw101" }
            trunks:
              - { name: carrier, host: 127.0.0.1, port: 5090, transport: udp }
            outbound_routes:
              - { prefix: "0", trunk: carrier, strip: 1 }
            ami_users:
              - username: crm
                password: s3cret
                permit: ["127.0.0.1/32", "10.0.0.0/8", "::1/128"]
          - name: beta
        """

    func testValidDocumentWithDefaults() throws {
        let document = try ProvisioningParser.parse(yaml: valid)
        XCTAssertEqual(document.tenants.count, 2)
        let acme = document.tenants[0]
        XCTAssertEqual(acme.uuid?.uuidString.lowercased(), "7d2c0e2a-1111-4222-8333-444455556666")
        XCTAssertEqual(acme.extensions.map(\.number), ["100", "101"])
        XCTAssertNil(acme.extensions[1].name)
        XCTAssertEqual(acme.trunks[0].trunk.port, 5090)
        XCTAssertEqual(acme.outboundRoutes[0].route.strip, 1)
        XCTAssertEqual(acme.amiUsers[0].read, "call")
        XCTAssertEqual(acme.amiUsers[0].write, "call,originate")
        XCTAssertEqual(document.tenants[1].domain, "beta", "domain defaults to the tenant name")
        XCTAssertEqual(document.tenants[1].toneCountry, "it")
    }

    func assertError(_ yaml: String, line: Int, field: String, contains text: String, file: StaticString = #filePath, lineNumber: UInt = #line) {
        XCTAssertThrowsError(try ProvisioningParser.parse(yaml: yaml), file: file, line: lineNumber) { error in
            guard let error = error as? ProvisioningError else { return XCTFail("unexpected \(error)", file: file, line: lineNumber) }
            XCTAssertEqual(error.line, line, "\(error)", file: file, line: lineNumber)
            XCTAssertTrue(error.field.hasSuffix(field), "\(error)", file: file, line: lineNumber)
            XCTAssertTrue(error.message.contains(text), "\(error)", file: file, line: lineNumber)
        }
    }

    func testErrorsNameLineAndField() {
        assertError(
            "tenants:\n  - name: a\n    ami_users:\n      - username: u\n        password: p\n        permit: [\"10.0.0.300/8\"]\n",
            line: 6, field: "permit", contains: "10.0.0.300")
        assertError(
            "tenants:\n  - name: a\n    extensions:\n      - { number: \"10x\", password: p }\n",
            line: 4, field: "number", contains: "digits")
        assertError(
            "tenants:\n  - name: a\n    extensions:\n      - { number: \"100\" }\n",
            line: 4, field: "password", contains: "required")
        assertError("tenants:\n  - name: a\n    colour: red\n", line: 3, field: "colour", contains: "unknown key")
        assertError("tenants:\n  - name: a\n    uuid: nope\n", line: 3, field: "uuid", contains: "not a UUID")
        assertError(
            "tenants:\n  - name: a\n    ami_users:\n      - { username: u, password: p, write: \"call,bogus\" }\n",
            line: 4, field: "write", contains: "not a list of AMI classes")
        assertError("tenants:\n  - name: a\n    trunks:\n      - { name: t, host: h, port: 70000 }\n", line: 4, field: "port", contains: "65535")
        assertError("tenants: [\n", line: 2, field: "(file)", contains: "YAML")
    }

    func testDuplicatesAcrossTheFileAreRefusedNamingBoth() {
        let yaml = """
            tenants:
              - name: a
                ami_users:
                  - { username: crm, password: x }
              - name: b
                ami_users:
                  - { username: CRM, password: y }
            """
        assertError(yaml, line: 7, field: "username", contains: "first at line 4")
        assertError("tenants:\n  - name: a\n  - name: a\n", line: 3, field: "name", contains: "duplicate tenant name")
    }
}
