import NIOCore
import XCTest

@testable import SIP

/// RFC 4475 §3.1.2 (syntactically invalid) and §3.2–3.4 (parse, but wrong for the
/// transaction or application layer). Each test is named after its torture file.
final class TortureInvalidTests: XCTestCase {
    private func assertRejected(
        _ name: String, _ code: SIPParseError.Code, header: SIPHeaderName? = nil,
        addressable: Bool = true, status: Int = 400,
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let error = try TortureFixtures.rejection(name, file: file, line: line)
        XCTAssertEqual(error.code, code, "\(name): \(error)", file: file, line: line)
        XCTAssertEqual(error.statusCode, status, name, file: file, line: line)
        if let header { XCTAssertEqual(error.header, header, name, file: file, line: line) }
        XCTAssertEqual(error.isAddressable, addressable, name, file: file, line: line)
        XCTAssertTrue(error.reasonPhrase.hasPrefix(SIPStatus.reasonPhrase(for: status) + " - "), file: file, line: line)
        if addressable {
            let response = try XCTUnwrap(error.response(toTag: "t1"), file: file, line: line)
            XCTAssertEqual(response.statusCode, status, file: file, line: line)
            XCTAssertNotNil(response.headers.topVia, file: file, line: line)
        }
    }

    // MARK: §3.1.2 syntactically invalid: 400 (or dropped, for responses)

    func test_badinv01() throws { try assertRejected("badinv01", .invalidHeader, header: .via, addressable: false) }
    func test_clerr() throws { try assertRejected("clerr", .bodyShorterThanContentLength) }
    func test_ncl() throws { try assertRejected("ncl", .invalidContentLength) }
    func test_scalar02() throws { try assertRejected("scalar02", .invalidHeader, header: .cseq) }
    func test_quotbal() throws { try assertRejected("quotbal", .invalidHeader, header: .to) }
    func test_ltgtruri() throws { try assertRejected("ltgtruri", .invalidRequestURI) }
    func test_lwsruri() throws { try assertRejected("lwsruri", .malformedStartLine) }
    func test_lwsstart() throws { try assertRejected("lwsstart", .malformedStartLine) }
    func test_trws() throws { try assertRejected("trws", .malformedStartLine) }
    func test_escruri() throws { try assertRejected("escruri", .invalidRequestURI) }
    func test_baddate() throws { try assertRejected("baddate", .invalidHeader, header: .date) }
    func test_regbadct() throws { try assertRejected("regbadct", .invalidHeader, header: .contact) }
    func test_badaspec() throws { try assertRejected("badaspec", .invalidHeader, header: .to) }
    func test_baddn() throws { try assertRejected("baddn", .invalidHeader, header: .from) }
    func test_badvers() throws { try assertRejected("badvers", .unsupportedVersion, status: 505) }
    func test_mismatch01() throws { try assertRejected("mismatch01", .cseqMethodMismatch) }
    func test_mismatch02() throws { try assertRejected("mismatch02", .cseqMethodMismatch) }
    func test_multi01() throws { try assertRejected("multi01", .duplicateHeader) }
    func test_mcl01() throws { try assertRejected("mcl01", .duplicateHeader, header: .contentLength) }
    func test_insuf() throws {
        try assertRejected("insuf", .missingHeader, header: .from)
        XCTAssertEqual(try TortureFixtures.rejection("insuf").reasonPhrase, "Bad Request - missing From")
    }
    func test_test() throws { try assertRejected("test", .malformedHeaderLine, addressable: false) }

    func test_scalarlg() throws {
        let error = try TortureFixtures.rejection("scalarlg")
        XCTAssertTrue(error.isResponse)
        XCTAssertFalse(error.isAddressable)
        XCTAssertEqual(error.header, .cseq)
    }

    func test_bigcode() throws {
        let error = try TortureFixtures.rejection("bigcode")
        XCTAssertTrue(error.isResponse)
        XCTAssertEqual(error.code, .malformedStartLine)
        XCTAssertNil(error.response())
    }

    // MARK: §3.2–3.4: valid syntax; the transaction user decides

    func test_badbranch() throws {
        // Cookie without an id: falls back to RFC 2543 matching.
        let request = try TortureFixtures.request("invalid", "badbranch")
        XCTAssertEqual(request.headers.topVia?.branch, "z9hG4bK")
        XCTAssertEqual(request.headers.topVia?.hasRFC3261Branch, false)
    }

    func test_inv2543() throws {
        let request = try TortureFixtures.request("invalid", "inv2543")
        XCTAssertNil(request.headers.maxForwards)
        XCTAssertNil(request.headers.topVia?.branch)
        XCTAssertEqual(request.headers.from?.uri.parameters["user"], "phone")
        XCTAssertGreaterThan(request.body.readableBytes, 0)  // no Content-Length: rest of datagram
    }

    func test_unkscm() throws {
        let request = try TortureFixtures.request("invalid", "unkscm")
        XCTAssertFalse(request.uri.isSIP)  // TU answers 416
        XCTAssertEqual(request.uri.scheme, "nobodyknowsthisscheme")
        XCTAssertEqual(request.uri.opaque, "totallyopaquecontent")
    }

    func test_novelsc() throws {
        let request = try TortureFixtures.request("invalid", "novelsc")
        XCTAssertEqual(request.uri.scheme, "soap.beep")
        XCTAssertFalse(request.uri.isSIP)
    }

    func test_unksm2() throws {
        let request = try TortureFixtures.request("invalid", "unksm2")
        XCTAssertEqual(request.headers.to?.uri.scheme, "isbn")
        XCTAssertEqual(request.headers.from?.uri.scheme, "http")
        XCTAssertEqual(request.headers.contacts?.first?.uri.scheme, "name")
    }

    func test_bext01() throws {
        let request = try TortureFixtures.request("invalid", "bext01")
        XCTAssertEqual(request.headers.values(.require), ["nothingSupportsThis", "nothingSupportsThisEither"])
        XCTAssertEqual(request.headers.values(.proxyRequire).count, 2)
    }

    func test_invut() throws {
        let request = try TortureFixtures.request("invalid", "invut")
        XCTAssertEqual(request.headers[.contentType], "application/unknownformat")  // TU answers 415
    }

    func test_regaut01() throws {
        let request = try TortureFixtures.request("invalid", "regaut01")
        let authorization = try XCTUnwrap(request.headers[.authorization])
        XCTAssertNil(DigestCredentials(authorization))  // unknown scheme: challenge again
    }

    func test_bcast() throws {
        let response = try XCTUnwrap(try TortureFixtures.parse("invalid", "bcast").response)
        XCTAssertEqual(response.headers.vias?.last?.host, "255.255.255.255")
    }

    func test_zeromf() throws {
        XCTAssertEqual(try TortureFixtures.request("invalid", "zeromf").headers.maxForwards, 0)  // TU: 483
    }

    func test_cparam01() throws {
        let contact = try XCTUnwrap(try TortureFixtures.request("invalid", "cparam01").headers.contacts?.first)
        XCTAssertTrue(contact.parameters.contains("unknownparam"))
        XCTAssertTrue(contact.uri.parameters.isEmpty)
    }

    func test_cparam02() throws {
        let contact = try XCTUnwrap(try TortureFixtures.request("invalid", "cparam02").headers.contacts?.first)
        XCTAssertTrue(contact.uri.parameters.contains("unknownparam"))
        XCTAssertTrue(contact.parameters.isEmpty)
    }

    func test_regescrt() throws {
        let contact = try XCTUnwrap(try TortureFixtures.request("invalid", "regescrt").headers.contacts?.first)
        XCTAssertEqual(contact.uri.headers, [SIPURI.Header(name: "Route", value: "<sip:sip.example.com>")])
    }

    func test_sdp01() throws {
        let request = try TortureFixtures.request("invalid", "sdp01")
        XCTAssertEqual(request.headers[.accept], "text/nobodyKnowsThis")  // TU answers 415 or 406
    }

    /// Every file of `invalid/` has a test above; a new file must get one.
    func test_everyInvalidFileIsCovered() throws {
        let covered: Set<String> = [
            "badinv01", "clerr", "ncl", "scalar02", "quotbal", "ltgtruri", "lwsruri", "lwsstart", "trws",
            "escruri", "baddate", "regbadct", "badaspec", "baddn", "badvers", "mismatch01", "mismatch02",
            "multi01", "mcl01", "insuf", "test", "scalarlg", "bigcode", "badbranch", "inv2543", "unkscm",
            "novelsc", "unksm2", "bext01", "invut", "regaut01", "bcast", "zeromf", "cparam01", "cparam02",
            "regescrt", "sdp01",
        ]
        XCTAssertEqual(Set(try TortureFixtures.names("invalid")), covered)
    }
}
