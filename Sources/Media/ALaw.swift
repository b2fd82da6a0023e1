/// G.711 A-law (PCMA, RTP payload type 8) for 16-bit linear samples.
///
/// The classic segment encoder (ITU-T G.711 table 1, as in Sun's public-domain `g711.c`): the
/// sample is reduced to 13 bits, placed in one of 8 segments, and even bits are inverted
/// (XOR 0x55) on the wire. Silence (0) encodes to 0xD5.
public enum ALaw {
    /// Upper bound of each segment on the 13-bit magnitude.
    private static let segmentEnds: [Int32] = [0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF]

    /// Encodes one linear sample.
    public static func encode(_ sample: Int16) -> UInt8 {
        var value = Int32(sample) >> 3
        let mask: UInt8
        if value >= 0 {
            mask = 0xD5  // sign bit set for positive values, then even-bit inversion
        } else {
            mask = 0x55
            value = -value - 1
        }
        guard let segment = segmentEnds.firstIndex(where: { value <= $0 }) else {
            return 0x7F ^ mask  // beyond the last segment: clip
        }
        let shift = segment < 2 ? 1 : Int32(segment)
        let code = (UInt8(segment) << 4) | UInt8((value >> shift) & 0x0F)
        return code ^ mask
    }

    /// Decodes one A-law octet to a linear sample.
    public static func decode(_ code: UInt8) -> Int16 {
        let value = code ^ 0x55
        var magnitude = Int32(value & 0x0F) << 4
        let segment = Int32((value & 0x70) >> 4)
        switch segment {
        case 0:
            magnitude += 8
        case 1:
            magnitude += 0x108
        default:
            magnitude += 0x108
            magnitude <<= segment - 1
        }
        return Int16(value & 0x80 != 0 ? magnitude : -magnitude)
    }

    /// Encodes a block of samples, appending to `output`.
    public static func encode(_ samples: [Int16], into output: inout [UInt8]) {
        output.reserveCapacity(output.count + samples.count)
        for sample in samples {
            output.append(encode(sample))
        }
    }
}
