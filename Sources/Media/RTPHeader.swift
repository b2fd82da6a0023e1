import NIOCore

/// The fixed RTP header of RFC 3550 §5.1, plus its CSRC list.
///
/// ```
///  0                   1                   2                   3
/// |V=2|P|X|  CC   |M|     PT      |       sequence number         |
/// |                           timestamp                           |
/// |           synchronization source (SSRC) identifier            |
/// |            contributing source (CSRC) identifiers (0-15)      |
/// ```
///
/// Parsing never consumes the buffer: the relay forwards the datagram untouched and only looks.
public struct RTPHeader: Sendable, Hashable {
    /// Length of the fixed part (RFC 3550 §5.1).
    public static let fixedLength = 12
    /// The only version in use (RFC 3550 §5.1).
    public static let version: UInt8 = 2

    /// P: the payload ends with padding octets, the last of which counts them.
    public var padding: Bool
    /// X: a header extension (RFC 3550 §5.3.1) follows the CSRC list.
    public var hasExtension: Bool
    /// M: for audio, the first packet of a talkspurt (RFC 3551 §4.1).
    public var marker: Bool
    /// PT: 7 bits, e.g. 0 PCMU, 8 PCMA, 101 telephone-event (dynamic).
    public var payloadType: UInt8
    public var sequenceNumber: UInt16
    public var timestamp: UInt32
    public var ssrc: UInt32
    /// Up to 15 contributing sources.
    public var csrcs: [UInt32]
    /// Bytes from the start of the packet to the payload: fixed part, CSRCs and extension.
    public private(set) var headerLength: Int

    public init(
        marker: Bool = false, payloadType: UInt8, sequenceNumber: UInt16, timestamp: UInt32, ssrc: UInt32,
        csrcs: [UInt32] = [], padding: Bool = false
    ) {
        precondition(payloadType < 128, "RTP payload types are 7 bits")
        precondition(csrcs.count <= 15, "at most 15 CSRCs")
        self.padding = padding
        self.hasExtension = false
        self.marker = marker
        self.payloadType = payloadType
        self.sequenceNumber = sequenceNumber
        self.timestamp = timestamp
        self.ssrc = ssrc
        self.csrcs = csrcs
        self.headerLength = Self.fixedLength + 4 * csrcs.count
    }

    /// Reads the header at the reader index without moving it. Returns nil for anything that is
    /// not a well-formed RTP version 2 packet: too short, another version, a CSRC list or header
    /// extension running past the end.
    public init?(parsing buffer: ByteBuffer) {
        let base = buffer.readerIndex
        guard buffer.readableBytes >= Self.fixedLength,
            let first = buffer.getInteger(at: base, as: UInt8.self),
            let second = buffer.getInteger(at: base + 1, as: UInt8.self),
            let sequence = buffer.getInteger(at: base + 2, as: UInt16.self),
            let timestamp = buffer.getInteger(at: base + 4, as: UInt32.self),
            let ssrc = buffer.getInteger(at: base + 8, as: UInt32.self),
            first >> 6 == Self.version
        else { return nil }
        let csrcCount = Int(first & 0x0F)
        var length = Self.fixedLength + 4 * csrcCount
        guard buffer.readableBytes >= length else { return nil }
        let hasExtension = first & 0x10 != 0
        if hasExtension {
            // 16-bit profile id, 16-bit length in 32-bit words, then the words.
            guard let words = buffer.getInteger(at: base + length + 2, as: UInt16.self) else { return nil }
            length += 4 + 4 * Int(words)
            guard buffer.readableBytes >= length else { return nil }
        }
        var csrcs: [UInt32] = []
        if csrcCount > 0 {
            csrcs.reserveCapacity(csrcCount)
            for index in 0..<csrcCount {
                csrcs.append(buffer.getInteger(at: base + Self.fixedLength + 4 * index, as: UInt32.self)!)
            }
        }
        self.padding = first & 0x20 != 0
        self.hasExtension = hasExtension
        self.marker = second & 0x80 != 0
        self.payloadType = second & 0x7F
        self.sequenceNumber = sequence
        self.timestamp = timestamp
        self.ssrc = ssrc
        self.csrcs = csrcs
        self.headerLength = length
    }

    /// Writes the fixed header and CSRC list. A parsed header extension is not reproduced (the
    /// relay never re-serialises; the tone sender never has one), so `hasExtension` is written as 0.
    public func write(to buffer: inout ByteBuffer) {
        let first = (Self.version << 6) | (padding ? 0x20 : 0) | UInt8(csrcs.count)
        let second = (marker ? 0x80 : 0) | (payloadType & 0x7F)
        buffer.writeInteger(first)
        buffer.writeInteger(second)
        buffer.writeInteger(sequenceNumber)
        buffer.writeInteger(timestamp)
        buffer.writeInteger(ssrc)
        for csrc in csrcs {
            buffer.writeInteger(csrc)
        }
    }

    /// Whether the second octet of a version 2 datagram says RTCP (packet types 192–223, i.e.
    /// RTP payload types 64–95 with the marker set), the test RFC 5761 §4 uses to demultiplex
    /// RTCP sent on the RTP port (rtcp-mux).
    public static func looksLikeMultiplexedRTCP(_ buffer: ByteBuffer) -> Bool {
        guard let second = buffer.getInteger(at: buffer.readerIndex + 1, as: UInt8.self) else { return false }
        return (192...223).contains(second)
    }
}
