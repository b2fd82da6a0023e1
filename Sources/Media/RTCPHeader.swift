import NIOCore

/// The common header of the first RTCP packet of a compound datagram (RFC 3550 §6.4).
///
/// The relay does not interpret RTCP; it only checks that a datagram arriving on an RTCP port is
/// plausibly RTCP before it latches to its source or forwards it.
public struct RTCPHeader: Sendable, Hashable {
    /// The shortest RTCP packet: a receiver report with no report block (RFC 3550 §6.4.2).
    public static let minimumLength = 8

    /// RC/SC/FMT: the 5-bit count field.
    public var count: UInt8
    /// PT: 200 SR, 201 RR, 202 SDES, 203 BYE, 204 APP, 205/206 feedback (RFC 4585).
    public var packetType: UInt8
    /// Length of this packet in 32-bit words minus one.
    public var lengthInWords: UInt16

    /// Reads the header at the reader index without moving it; nil unless the datagram is at least
    /// `minimumLength` bytes of version 2 with a packet type in 192–223.
    public init?(parsing buffer: ByteBuffer) {
        let base = buffer.readerIndex
        guard buffer.readableBytes >= Self.minimumLength,
            let first = buffer.getInteger(at: base, as: UInt8.self),
            let type = buffer.getInteger(at: base + 1, as: UInt8.self),
            let length = buffer.getInteger(at: base + 2, as: UInt16.self),
            first >> 6 == RTPHeader.version,
            (192...223).contains(type)
        else { return nil }
        self.count = first & 0x1F
        self.packetType = type
        self.lengthInWords = length
    }
}
