import Testing

@testable import SIP

/// The DNS codec for RFC 3263 lookups: every length is peer-controlled, so malformed replies
/// must give an error, never a trap or a loop.
@Suite struct DNSMessageTests {
    /// A response header: id, flags (QR, RD, RA + rcode), one question, `answers` answers.
    private func header(id: UInt16 = 0x1234, rcode: UInt8 = 0, answers: UInt16) -> [UInt8] {
        [UInt8(id >> 8), UInt8(id & 0xFF), 0x81, 0x80 | rcode, 0, 1, UInt8(answers >> 8), UInt8(answers & 0xFF), 0, 0, 0, 0]
    }

    private func name(_ text: String) -> [UInt8] {
        text.split(separator: ".").flatMap { [UInt8($0.utf8.count)] + Array($0.utf8) } + [0]
    }

    @Test func queryEncoding() throws {
        let bytes = try #require(DNSQuery.encode(id: 0xBEEF, name: "_sip._udp.example.com", type: .srv))
        #expect(Array(bytes[0..<12]) == [0xBE, 0xEF, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0])
        #expect(Array(bytes[12...]) == name("_sip._udp.example.com") + [0, 33, 0, 1])
        #expect(DNSQuery.encode(id: 1, name: "example.com.", type: .a) != nil)
    }

    @Test func queryRefusesBadNames() {
        #expect(DNSQuery.encode(id: 1, name: "", type: .a) == nil)
        #expect(DNSQuery.encode(id: 1, name: "a..b", type: .a) == nil)
        #expect(DNSQuery.encode(id: 1, name: String(repeating: "a", count: 64) + ".com", type: .a) == nil)
        #expect(DNSQuery.encode(id: 1, name: Array(repeating: "abcdefghi", count: 26).joined(separator: "."), type: .a) == nil)
    }

    @Test func srvAnswerWithCompression() throws {
        // Question at offset 12; the answer's name is a pointer to it, the target a new name.
        var bytes = header(answers: 2) + name("_sip._udp.example.com") + [0, 33, 0, 1]
        bytes += [0xC0, 12, 0, 33, 0, 1, 0, 0, 0x0E, 0x10]  // TTL 3600
        let rdata: [UInt8] = [0, 10, 0, 60, 0x13, 0xC4] + name("sip1.example.com")
        bytes += [0, UInt8(rdata.count)] + rdata
        // Second: priority 5, target "sip2" + pointer to "example.com" (offset 12 + 10 + 5 = 27... computed).
        let exampleOffset = 12 + 1 + 4 + 1 + 4  // after "_sip" and "_udp" labels
        let rdata2: [UInt8] = [0, 5, 0, 0, 0x13, 0xC5] + [4] + Array("sip2".utf8) + [0xC0, UInt8(exampleOffset)]
        bytes += [0xC0, 12, 0, 33, 0, 1, 0, 0, 0, 60, 0, UInt8(rdata2.count)] + rdata2
        let message = try DNSMessage(decoding: bytes)
        #expect(message.id == 0x1234)
        #expect(message.responseCode == 0)
        #expect(message.answers.count == 2)
        #expect(
            message.answers[0]
                == DNSRecord(
                    name: "_sip._udp.example.com", ttl: 3600,
                    data: .srv(priority: 10, weight: 60, port: 5060, target: "sip1.example.com")))
        #expect(message.answers[1].data == .srv(priority: 5, weight: 0, port: 5061, target: "sip2.example.com"))
        #expect(
            DNSServiceTarget.ordered(message.answers) == [
                DNSServiceTarget(host: "sip2.example.com", port: 5061),
                DNSServiceTarget(host: "sip1.example.com", port: 5060),
            ])
    }

    @Test func addressAnswers() throws {
        var bytes = header(answers: 2) + name("h.example") + [0, 1, 0, 1]
        bytes += [0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4, 192, 0, 2, 7]
        bytes += [0xC0, 12, 0, 28, 0, 1, 0, 0, 0, 30, 0, 16, 0x20, 0x01, 0x0d, 0xb8] + Array(repeating: 0, count: 11) + [1]
        let message = try DNSMessage(decoding: bytes)
        #expect(message.answers.map(\.data) == [.a("192.0.2.7"), .aaaa("2001:db8:0:0:0:0:0:1")])
    }

    @Test func nameErrorCode() throws {
        let message = try DNSMessage(decoding: header(rcode: 3, answers: 0) + name("nonexistent.invalid") + [0, 1, 0, 1])
        #expect(message.responseCode == 3)
        #expect(message.answers.isEmpty)
    }

    @Test func pointerLoopsAreRefused() {
        // A pointer to itself, and two pointers pointing at each other.
        #expect(throws: DNSDecodingError.badPointer) { try DNSMessage(decoding: header(answers: 0) + [0xC0, 12, 0, 1, 0, 1]) }
        let forward = header(answers: 0) + [0xC0, 14, 0xC0, 12, 0, 1, 0, 1]
        #expect(throws: DNSDecodingError.badPointer) { try DNSMessage(decoding: forward) }
    }

    @Test func truncatedAndOversizedFieldsAreRefused() {
        let good = header(answers: 1) + name("h.example") + [0, 1, 0, 1] + [0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4, 192, 0, 2, 7]
        for cut in 0..<good.count {
            #expect(throws: DNSDecodingError.self) { try DNSMessage(decoding: Array(good[0..<cut])) }
        }
        // RDLENGTH past the end.
        var long = good
        long[long.count - 5] = 0xFF
        #expect(throws: DNSDecodingError.truncated) { try DNSMessage(decoding: long) }
        // A label length past the end, a reserved label type, too many answers, a query.
        #expect(throws: DNSDecodingError.truncated) { try DNSMessage(decoding: header(answers: 0) + [40, 0x61]) }
        #expect(throws: DNSDecodingError.badName) { try DNSMessage(decoding: header(answers: 0) + [0x80, 0]) }
        #expect(throws: DNSDecodingError.tooManyRecords) { try DNSMessage(decoding: header(answers: 65_535)) }
        #expect(throws: DNSDecodingError.notAResponse) { try DNSMessage(decoding: [0, 1, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0]) }
    }

    @Test func overlongNamesAreRefused() {
        // 5 labels of 63 octets = 320 octets on the wire.
        let label: [UInt8] = [63] + Array(repeating: 0x61, count: 63)
        let bytes = header(answers: 0) + Array([[UInt8]](repeating: label, count: 5).joined()) + [0, 0, 1, 0, 1]
        #expect(throws: DNSDecodingError.badName) { try DNSMessage(decoding: bytes) }
    }

    @Test func randomBytesNeverTrap() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let count = Int.random(in: 0..<80, using: &generator)
            var bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if bytes.count > 3 {
                bytes[2] |= 0x80
                bytes[2] &= 0x87
            }
            _ = try? DNSMessage(decoding: bytes)
        }
    }

    @Test func resolvConfFirstNameserver() {
        #expect(DNSResolvConf.firstNameserver(in: "# comment\nsearch example.com\nnameserver 10.0.0.53\nnameserver 8.8.8.8\n") == "10.0.0.53")
        #expect(DNSResolvConf.firstNameserver(in: "nameserver\tfe80::1%eth0\n") == "fe80::1")
        #expect(DNSResolvConf.firstNameserver(in: "options ndots:2\nnameserver\n") == nil)
        #expect(DNSResolvConf.firstNameserver(in: "") == nil)
    }
}
