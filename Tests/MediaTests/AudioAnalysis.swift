#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Small signal-analysis helpers for tone tests.
enum AudioAnalysis {
    /// Power of `frequency` in `samples` (Goertzel algorithm), normalised by length.
    static func goertzelPower(_ samples: [Int16], frequency: Double, sampleRate: Double = 8000) -> Double {
        let coefficient = 2 * cos(2 * Double.pi * frequency / sampleRate)
        var previous = 0.0
        var beforePrevious = 0.0
        for sample in samples {
            let current = Double(sample) + coefficient * previous - beforePrevious
            beforePrevious = previous
            previous = current
        }
        let power = previous * previous + beforePrevious * beforePrevious - coefficient * previous * beforePrevious
        return power / Double(samples.count * samples.count)
    }

    /// Frequency estimated from the number of sign changes.
    static func zeroCrossingFrequency(_ samples: [Int16], sampleRate: Double = 8000) -> Double {
        var crossings = 0
        for index in 1..<samples.count where (samples[index - 1] < 0) != (samples[index] < 0) {
            crossings += 1
        }
        return Double(crossings) / 2 / (Double(samples.count) / sampleRate)
    }
}
