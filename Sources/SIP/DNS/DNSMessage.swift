/// The parts of a DNS response the resolver uses: its id, response code and answers
/// (RFC 1035 §4.1). Decoding checks every length against the message's end, follows compression
/// pointers only backwards and at most `maximumPointers` times per name, and reads at most
/// `maximumRecords` answers, so a hostile resolver's reply cannot trap, loop or grow memory.
public struct DNSMessage: Sendable, Equatable {
    /// Answers read from one message (a UDP reply holds at most 512 octets without EDNS; this is generous).
    public static let maximumRecords = 64
    /// Compression pointers followed in one name (a name has at most 127 labels).
    public static let maximumPointers = 127
    /// Longest name on the wire (RFC 1035 §2.3.4).
    public static let maximumNameOctets = 255

    public var id: UInt16
    /// RCODE: 0 no error, 2 server failure, 3 name error (NXDOMAIN).
    public var responseCode: UInt8
    /// The TC bit: the answer did not fit (the caller may treat it as no answer).
    public var truncated: Bool
    public var answers: [DNSRecord]

    public init(id: UInt16, responseCode: UInt8, truncated: Bool, answers: [DNSRecord]) {
        self.id = id
        self.responseCode = responseCode
        self.truncated = truncated
        self.answers = answers
    }

    public init(decoding bytes: [UInt8]) throws(DNSDecodingError) {
        var reader = Reader(bytes: bytes)
        id = try reader.uint16()
        let flags = try reader.uint16()
        guard flags & 0x8000 != 0, (flags >> 11) & 0xF == 0 else { throw .notAResponse }
        truncated = flags & 0x0200 != 0
        responseCode = UInt8(flags & 0xF)
        let questions = Int(try reader.uint16())
        let answerCount = Int(try reader.uint16())
        _ = try reader.uint16()  // authority
        _ = try reader.uint16()  // additional
        guard answerCount <= Self.maximumRecords, questions <= Self.maximumRecords else { throw .tooManyRecords }
        for _ in 0..<questions {
            _ = try reader.name()
            try reader.skip(4)
        }
        var answers: [DNSRecord] = []
        for _ in 0..<answerCount {
            let name = try reader.name()
            let type = try reader.uint16()
            _ = try reader.uint16()  // class
            let ttl = try reader.uint32()
            let length = Int(try reader.uint16())
            let start = reader.offset
            guard length <= bytes.count - start else { throw .truncated }
            let data: DNSRecordData
            switch DNSRecordType(rawValue: type) {
            case .a where length == 4:
                data = .a(bytes[start..<start + 4].map(String.init).joined(separator: "."))
            case .aaaa where length == 16:
                let groups = stride(from: start, to: start + 16, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
                data = .aaaa(groups.joined(separator: ":"))
            case .srv where length >= 7:
                var inner = reader
                let priority = try inner.uint16()
                let weight = try inner.uint16()
                let port = try inner.uint16()
                let target = try inner.name()
                guard inner.offset <= start + length else { throw .truncated }
                data = .srv(priority: priority, weight: weight, port: port, target: target)
            default:
                data = .other(type: type)
            }
            try reader.skip(length)
            answers.append(DNSRecord(name: name, ttl: ttl, data: data))
        }
        self.answers = answers
    }

    /// Reads big-endian fields and names with compression, never past the end.
    private struct Reader {
        let bytes: [UInt8]
        var offset = 0

        mutating func skip(_ count: Int) throws(DNSDecodingError) {
            guard count >= 0, count <= bytes.count - offset else { throw .truncated }
            offset += count
        }

        mutating func uint16() throws(DNSDecodingError) -> UInt16 {
            guard bytes.count - offset >= 2 else { throw .truncated }
            defer { offset += 2 }
            return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
        }

        mutating func uint32() throws(DNSDecodingError) -> UInt32 {
            let high = try uint16()
            return UInt32(high) << 16 | UInt32(try uint16())
        }

        /// A name (RFC 1035 §4.1.4); the reader ends after the name's first pointer or its root label.
        mutating func name() throws(DNSDecodingError) -> String {
            var labels: [String] = []
            var octets = 1
            var position = offset
            var resume: Int?
            var pointers = 0
            while true {
                guard position < bytes.count else { throw .truncated }
                let length = Int(bytes[position])
                switch length & 0xC0 {
                case 0x00:
                    if length == 0 {
                        offset = resume ?? position + 1
                        return labels.joined(separator: ".")
                    }
                    guard length <= bytes.count - position - 1 else { throw .truncated }
                    octets += length + 1
                    guard octets <= DNSMessage.maximumNameOctets else { throw .badName }
                    labels.append(String(decoding: bytes[position + 1...position + length], as: UTF8.self))
                    position += length + 1
                case 0xC0:
                    guard position + 1 < bytes.count else { throw .truncated }
                    let target = (length & 0x3F) << 8 | Int(bytes[position + 1])
                    pointers += 1
                    // Strictly backwards: every pointer moves earlier, so no loop can form.
                    guard target < position, pointers <= DNSMessage.maximumPointers else { throw .badPointer }
                    if resume == nil { resume = position + 2 }
                    position = target
                default:
                    throw .badName
                }
            }
        }
    }
}
