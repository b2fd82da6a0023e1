import Crypto
import NIOCore
import XCTest

@testable import SIP

final class DigestTests: XCTestCase {
    /// RFC 2617 §3.5 example (MD5, qop=auth).
    func testRFC2617Example() {
        let ha1 = Digest.ha1(username: "Mufasa", realm: "testrealm@host.com", password: "Circle Of Life", algorithm: .md5)
        let response = Digest.response(
            ha1: ha1, method: SIPMethod("GET"), uri: "/dir/index.html",
            nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093", qop: "auth",
            nonceCount: "00000001", cnonce: "0a4f113b", algorithm: .md5)
        XCTAssertEqual(response, "6629fae49393a05397450978507c4ef1")
    }

    /// RFC 7616 §3.9.1 example (SHA-256, qop=auth).
    func testRFC7616SHA256Example() {
        let ha1 = Digest.ha1(username: "Mufasa", realm: "http-auth@example.org", password: "Circle of Life", algorithm: .sha256)
        let response = Digest.response(
            ha1: ha1, method: SIPMethod("GET"), uri: "/dir/index.html",
            nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", qop: "auth",
            nonceCount: "00000001", cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
            algorithm: .sha256)
        XCTAssertEqual(response, "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1")
    }

    func testChallengeHeaderValue() {
        let md5 = DigestChallenge(realm: "pbx.example.com", nonce: "n1", opaque: "op")
        XCTAssertEqual(md5.description, #"Digest realm="pbx.example.com", nonce="n1", opaque="op", algorithm=MD5, qop="auth""#)
        let stale = DigestChallenge(realm: "r", nonce: "n2", algorithm: .sha256, stale: true)
        XCTAssertEqual(stale.description, #"Digest realm="r", nonce="n2", stale=true, algorithm=SHA-256, qop="auth""#)
        XCTAssertEqual(DigestChallenge(stale.description), stale)
    }

    func testClientCredentialsValidateOnServer() throws {
        for algorithm in DigestAlgorithm.allCases {
            for qop in [true, false] {
                let challenge = DigestChallenge(realm: "pbx", nonce: "abc", algorithm: algorithm, offersAuthQop: qop, opaque: "o")
                let ha1 = Digest.ha1(username: "1001", realm: "pbx", password: "secret", algorithm: algorithm)
                let credentials = Digest.credentials(
                    answering: challenge, username: "1001", ha1: ha1, method: .register,
                    uri: "sip:pbx", cnonce: "c0ffee")
                let parsed = try XCTUnwrap(DigestCredentials(credentials.description))
                XCTAssertEqual(parsed, credentials)
                XCTAssertTrue(Digest.isValid(parsed, ha1: ha1, method: .register), "\(algorithm) qop=\(qop)")
                XCTAssertFalse(Digest.isValid(parsed, ha1: ha1, method: .invite))
                let wrong = Digest.ha1(username: "1001", realm: "pbx", password: "Secret", algorithm: algorithm)
                XCTAssertFalse(Digest.isValid(parsed, ha1: wrong, method: .register))
            }
        }
    }

    func testCredentialsParsingRejectsIncompleteOrUnknown() {
        XCTAssertNil(DigestCredentials(#"Digest username="a", realm="r", nonce="n", uri="u""#))
        XCTAssertNil(DigestCredentials(#"Digest username="a", realm="r", nonce="n", uri="u", response="x", algorithm=SHA-512"#))
        XCTAssertNil(DigestCredentials(#"Digest username="a", realm="r", nonce="n", uri="u", response="x", qop=auth"#))
        XCTAssertNil(DigestCredentials("NoOneKnowsThisScheme opaque-data=here"))
        let lowercase = DigestCredentials(#"digest USERNAME="a", Realm="r", nonce="n", uri="sip:x", response="x""#)
        XCTAssertEqual(lowercase?.username, "a")
        XCTAssertEqual(lowercase?.algorithm, .md5)
    }

    func testNonceExpiryIsCheckableWithoutState() {
        let nonces = DigestNonce(key: SymmetricKey(size: .bits256), lifetime: 300)
        var generator = FuzzTests.SeededGenerator(state: 1)
        let nonce = nonces.make(now: 1_000_000, using: &generator)
        XCTAssertEqual(nonces.validate(nonce, now: 1_000_000), .valid)
        XCTAssertEqual(nonces.validate(nonce, now: 1_000_300), .valid)
        XCTAssertEqual(nonces.validate(nonce, now: 1_000_301), .stale)
        XCTAssertEqual(nonces.validate(nonce, now: 999_999), .invalid)
        var tampered = Array(nonce.utf8)
        tampered[15] = tampered[15] == UInt8(ascii: "1") ? UInt8(ascii: "2") : UInt8(ascii: "1")
        XCTAssertEqual(nonces.validate(String(decoding: tampered, as: UTF8.self), now: 1_000_000), .invalid)
        XCTAssertEqual(nonces.validate("short", now: 1_000_000), .invalid)
        let otherServer = DigestNonce(key: SymmetricKey(size: .bits256))
        XCTAssertEqual(otherServer.validate(nonce, now: 1_000_000), .invalid)
        XCTAssertNotEqual(nonces.make(now: 5), nonces.make(now: 5))
    }

    func testNonceBoundToAnAddressIsInvalidFromAnother() {
        let nonces = DigestNonce(key: SymmetricKey(size: .bits256), lifetime: 300)
        let nonce = nonces.make(now: 1_000, boundTo: "192.0.2.1")
        XCTAssertEqual(nonces.validate(nonce, now: 1_001, boundTo: "192.0.2.1"), .valid)
        XCTAssertEqual(nonces.validate(nonce, now: 1_001, boundTo: "192.0.2.2"), .invalid)
        XCTAssertEqual(nonces.validate(nonce, now: 1_001), .invalid)
        XCTAssertEqual(nonces.validate(nonce, now: 1_400, boundTo: "192.0.2.1"), .stale)
    }

    func testNonceCountsAcceptOnlyIncreasingCounts() {
        var counts = DigestNonceCounts(capacity: 10)
        XCTAssertEqual(counts.use(nonce: "n1", nonceCount: "00000001", now: 0, expires: 300), .fresh)
        XCTAssertEqual(counts.use(nonce: "n1", nonceCount: "00000001", now: 1, expires: 301), .replayed, "same nc again")
        XCTAssertEqual(counts.use(nonce: "n1", nonceCount: "00000003", now: 2, expires: 302), .fresh)
        XCTAssertEqual(counts.use(nonce: "n1", nonceCount: "00000002", now: 3, expires: 303), .replayed, "lower nc")
        XCTAssertEqual(counts.use(nonce: "n1", nonceCount: "zzzzzzzz", now: 3, expires: 303), .replayed, "not hex")
        XCTAssertEqual(counts.use(nonce: "n2", nonceCount: nil, now: 4, expires: 304), .fresh, "no qop: once")
        XCTAssertEqual(counts.use(nonce: "n2", nonceCount: nil, now: 5, expires: 305), .replayed)
        XCTAssertEqual(counts.use(nonce: "n2", nonceCount: nil, now: 400, expires: 700), .fresh, "forgotten once expired")
    }

    func testNonceCountsStayBounded() {
        var counts = DigestNonceCounts(capacity: 100)
        for index in 0..<1_000 {
            XCTAssertEqual(counts.use(nonce: "n\(index)", nonceCount: "00000001", now: UInt64(index), expires: UInt64(index) + 10_000), .fresh)
        }
        XCTAssertLessThanOrEqual(counts.count, 100)
        XCTAssertEqual(counts.use(nonce: "n999", nonceCount: "00000001", now: 1_000, expires: 11_000), .replayed, "the newest are kept")
    }

    func testDigestURIMustNameTheRequestURI() throws {
        let requestURI = try XCTUnwrap(SIPURI("sip:101@acme.test"))
        XCTAssertTrue(Digest.uri("sip:101@acme.test", matches: requestURI))
        XCTAssertTrue(Digest.uri("sip:101@ACME.test:5060", matches: requestURI), "host case and a port on one side only")
        XCTAssertFalse(Digest.uri("sip:00391234567@acme.test", matches: requestURI), "another number")
        XCTAssertFalse(Digest.uri("sip:101@globex.test", matches: requestURI), "another domain")
        XCTAssertFalse(Digest.uri("sips:101@acme.test", matches: requestURI))
        XCTAssertFalse(Digest.uri("not a uri", matches: requestURI))
        let withPort = try XCTUnwrap(SIPURI("sip:acme.test:5070"))
        XCTAssertFalse(Digest.uri("sip:acme.test:5080", matches: withPort), "both ports given and different")
    }

    func testSerializedHeadersCarryNoControlCharacters() throws {
        var request = SIPRequest(method: .invite, uri: try XCTUnwrap(SIPURI("sip:100@acme.test")))
        request.headers.add(
            .from, SIPNameAddress(displayName: "Alice\r\nX-Injected: yes", uri: try XCTUnwrap(SIPURI("sip:101@acme.test"))).description + ";tag=1")
        request.headers.add(.to, "Eve\rX-Bare-CR: yes <sip:100@acme.test>")
        request.headers.add(.callID, "a\u{0}b")
        let text = String(buffer: request.serialized)
        let lines = text.components(separatedBy: "\r\n")
        XCTAssertFalse(lines.contains { $0.hasPrefix("X-Injected") || $0.hasPrefix("X-Bare-CR") }, text)
        XCTAssertFalse(text.utf8.contains { ($0 < 0x20 && $0 != 0x0D && $0 != 0x0A && $0 != 0x09) || $0 == 0x7F }, text)
        let bytes = Array(text.utf8)
        for (index, byte) in bytes.enumerated() where byte == 0x0D || byte == 0x0A {
            let pairedCR = byte == 0x0D && index + 1 < bytes.count && bytes[index + 1] == 0x0A
            let pairedLF = byte == 0x0A && index > 0 && bytes[index - 1] == 0x0D
            XCTAssertTrue(pairedCR || pairedLF, "bare CR or LF at \(index): \(text)")
        }
        XCTAssertTrue(lines.contains { $0.hasPrefix("From: \"Alice  X-Injected: yes\" <sip:101@acme.test>") }, text)
    }
}
