/// G.711 µ-law (PCMU, RTP payload type 0) for 16-bit linear samples.
///
/// The classic segment encoder (ITU-T G.711 table 2, as in Sun's public-domain `g711.c`): bias
/// 0x84, clip at 32635, 8 segments of 16 steps, all bits inverted on the wire. Silence (0)
/// encodes to 0xFF.
public enum MuLaw {
    /// Added before finding the segment, so segment boundaries fall on powers of two.
    static let bias: Int32 = 0x84
    /// Largest magnitude that still fits after adding the bias.
    static let clip: Int32 = 32635

    /// Encodes one linear sample.
    public static func encode(_ sample: Int16) -> UInt8 {
        var magnitude = Int32(sample)
        let sign: UInt8 = magnitude < 0 ? 0x80 : 0
        if magnitude < 0 { magnitude = -magnitude }
        magnitude = min(magnitude, clip) + bias
        let exponent = segment(of: magnitude)
        let mantissa = UInt8((magnitude >> (Int32(exponent) + 3)) & 0x0F)
        return ~(sign | (exponent << 4) | mantissa)
    }

    /// Decodes one µ-law octet to a linear sample.
    public static func decode(_ code: UInt8) -> Int16 {
        let value = ~code
        let exponent = Int32((value >> 4) & 0x07)
        let mantissa = Int32(value & 0x0F)
        let magnitude = (((mantissa << 3) + bias) << exponent) - bias
        return Int16(value & 0x80 != 0 ? -magnitude : magnitude)
    }

    /// Encodes a block of samples, appending to `output`.
    public static func encode(_ samples: [Int16], into output: inout [UInt8]) {
        output.reserveCapacity(output.count + samples.count)
        for sample in samples {
            output.append(encode(sample))
        }
    }

    /// Segment of a biased magnitude: 0 when `magnitude >> 7` is 0, otherwise the index of its
    /// highest set bit (at most 7, since the magnitude is clipped below 2^15).
    private static func segment(of magnitude: Int32) -> UInt8 {
        let top = magnitude >> 7
        guard top > 0 else { return 0 }
        return UInt8(min(7, 31 - top.leadingZeroBitCount))
    }
}
