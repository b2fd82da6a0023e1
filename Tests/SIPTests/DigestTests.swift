import Crypto
import XCTest
@testable import SIP

final class DigestTests: XCTestCase {
    /// RFC 2617 §3.5 example (MD5, qop=auth).
    func testRFC2617Example() {
        let ha1 = Digest.ha1(username: "Mufasa", realm: "testrealm@host.com", password: "Circle Of Life", algorithm: .md5)
        let response = Digest.response(ha1: ha1, method: SIPMethod("GET"), uri: "/dir/index.html",
                                       nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093", qop: "auth",
                                       nonceCount: "00000001", cnonce: "0a4f113b", algorithm: .md5)
        XCTAssertEqual(response, "6629fae49393a05397450978507c4ef1")
    }

    /// RFC 7616 §3.9.1 example (SHA-256, qop=auth).
    func testRFC7616SHA256Example() {
        let ha1 = Digest.ha1(username: "Mufasa", realm: "http-auth@example.org", password: "Circle of Life", algorithm: .sha256)
        let response = Digest.response(ha1: ha1, method: SIPMethod("GET"), uri: "/dir/index.html",
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
                let credentials = Digest.credentials(answering: challenge, username: "1001", ha1: ha1, method: .register,
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
}
