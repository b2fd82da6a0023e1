import NIOCore

/// A progress tone as a paced stream of 20 ms RTP packets, with time as an input.
///
/// Packet `k` is due at `startTime + k * 20 ms` and carries samples `160k ..< 160(k+1)` of the
/// generator, encoded as PCMU or PCMA, with RTP timestamp `firstTimestamp + 160k`. Sequence
/// numbers count packets actually produced, so they stay consecutive even when the sender was
/// late and skipped packets (RFC 3550 §5.1: the timestamp jumps, the sequence does not). The
/// first packet carries the marker bit (start of a talkspurt, RFC 3551 §4.1).
///
/// The I/O layer asks `packets(dueAt:)` whenever it wakes and schedules its next wake-up at
/// `nextDeadline`; a manual clock drives the same calls in tests.
public struct ToneStream: Sendable {
    /// 20 ms, the default packetisation for G.711 (RFC 3551 §4.5).
    public static let packetInterval: UInt64 = 20_000_000
    /// 20 ms at 8 kHz.
    public static let samplesPerPacket = 160
    /// At most this many packets are produced in one call when the sender wakes late; older
    /// overdue packets are skipped, so a stalled event loop never turns into a burst.
    public static let maximumBurst: UInt64 = 3

    public let generator: ToneGenerator
    public let payloadType: UInt8
    public let ssrc: UInt32
    public let firstSequence: UInt16
    public let firstTimestamp: UInt32
    /// When packet 0 is due, in nanoseconds of the caller's monotonic clock.
    public let startTime: UInt64
    /// Index of the next packet to produce.
    public private(set) var packetIndex: UInt64 = 0
    /// Packets produced so far.
    public private(set) var packetsProduced: UInt64 = 0

    /// Throws `unsupportedPayloadType` unless `payloadType` is 0 (PCMU) or 8 (PCMA).
    public init(
        generator: ToneGenerator, payloadType: UInt8, ssrc: UInt32, firstSequence: UInt16,
        firstTimestamp: UInt32, startTime: UInt64
    ) throws {
        guard payloadType == 0 || payloadType == 8 else {
            throw MediaError(.unsupportedPayloadType, "tones are PCMU (0) or PCMA (8), not \(payloadType)")
        }
        self.generator = generator
        self.payloadType = payloadType
        self.ssrc = ssrc
        self.firstSequence = firstSequence
        self.firstTimestamp = firstTimestamp
        self.startTime = startTime
    }

    /// When the next packet is due.
    public var nextDeadline: UInt64 { startTime + packetIndex * Self.packetInterval }

    /// The packets due at `now` (possibly none), ready to send, in order.
    public mutating func packets(dueAt now: UInt64, allocator: ByteBufferAllocator = ByteBufferAllocator()) -> [ByteBuffer] {
        guard now >= startTime else { return [] }
        let due = (now - startTime) / Self.packetInterval + 1  // packets 0 ..< due are due
        guard due > packetIndex else { return [] }
        if due - packetIndex > Self.maximumBurst {
            packetIndex = due - Self.maximumBurst
        }
        var packets: [ByteBuffer] = []
        packets.reserveCapacity(Int(due - packetIndex))
        while packetIndex < due {
            packets.append(packet(allocator: allocator))
            packetIndex += 1
            packetsProduced += 1
        }
        return packets
    }

    /// Builds the packet for `packetIndex`, numbered `packetsProduced`.
    private func packet(allocator: ByteBufferAllocator) -> ByteBuffer {
        let header = RTPHeader(
            marker: packetsProduced == 0,
            payloadType: payloadType,
            sequenceNumber: firstSequence &+ UInt16(truncatingIfNeeded: packetsProduced),
            timestamp: firstTimestamp &+ UInt32(truncatingIfNeeded: packetIndex &* UInt64(Self.samplesPerPacket)),
            ssrc: ssrc)
        var buffer = allocator.buffer(capacity: RTPHeader.fixedLength + Self.samplesPerPacket)
        header.write(to: &buffer)
        let first = packetIndex * UInt64(Self.samplesPerPacket)
        for offset in 0..<UInt64(Self.samplesPerPacket) {
            let sample = generator.sample(at: first + offset)
            buffer.writeInteger(payloadType == 0 ? MuLaw.encode(sample) : ALaw.encode(sample))
        }
        return buffer
    }
}
