#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns a `ToneCadence` into 16-bit linear samples, as a pure function of the sample index.
///
/// Sample `n` is the one played `n / sampleRate` seconds after the tone started, so a caller that
/// knows the time knows the samples: nothing is buffered and any slice can be recomputed (which is
/// what makes the packet stream testable with a manual clock). Each on-segment starts at phase 0,
/// so bursts begin at a zero crossing without a click.
public struct ToneGenerator: Sendable {
    /// Peak amplitude of each frequency: Asterisk's `playtones` default, about -13 dBm0.
    public static let defaultAmplitude: Double = 7219
    /// Narrowband telephony.
    public static let defaultSampleRate = 8000

    public let cadence: ToneCadence
    public let sampleRate: Int
    public let amplitude: Double
    /// Segment boundaries in samples: segment `i` covers `starts[i] ..< starts[i + 1]`.
    private let starts: [UInt64]

    public init(
        cadence: ToneCadence, sampleRate: Int = ToneGenerator.defaultSampleRate,
        amplitude: Double = ToneGenerator.defaultAmplitude
    ) {
        precondition(sampleRate > 0)
        self.cadence = cadence
        self.sampleRate = sampleRate
        self.amplitude = amplitude
        var starts: [UInt64] = [0]
        var total: UInt64 = 0
        for segment in cadence.segments {
            total += UInt64(segment.milliseconds * sampleRate / 1000)
            starts.append(total)
        }
        self.starts = starts
    }

    /// Samples in one repetition of the cadence.
    public var cycleLength: UInt64 { starts[starts.count - 1] }

    /// Whether sample `index` falls in an on-segment.
    public func isOn(at index: UInt64) -> Bool {
        locate(index).map { cadence.segments[$0.segment].isOn } ?? false
    }

    /// The sample at `index`.
    public func sample(at index: UInt64) -> Int16 {
        guard let (segment, offset) = locate(index), cadence.segments[segment].isOn else { return 0 }
        let time = Double(offset) / Double(sampleRate)
        var value = 0.0
        for frequency in cadence.frequencies {
            value += amplitude * sin(2 * Double.pi * frequency * time)
        }
        return Int16(max(-32768, min(32767, value.rounded())))
    }

    /// `count` consecutive samples starting at `index`.
    public func samples(from index: UInt64, count: Int) -> [Int16] {
        (0..<UInt64(count)).map { sample(at: index + $0) }
    }

    /// The segment holding `index` and the offset into it; nil for a zero-length cadence.
    private func locate(_ index: UInt64) -> (segment: Int, offset: UInt64)? {
        guard cycleLength > 0 else { return nil }
        let position = index % cycleLength
        var segment = 0
        while starts[segment + 1] <= position {
            segment += 1
        }
        return (segment, position - starts[segment])
    }
}
