/// What a call-progress tone sounds like: the frequencies summed while it is on, and the on/off
/// pattern that repeats.
///
/// The national ringback cadences follow ITU-T E.180 Supplement 2 (the same values Asterisk's
/// `indications.conf` ships): Italy 425 Hz 1 s on 4 s off, and so on.
public struct ToneCadence: Sendable, Hashable {
    /// One step of the pattern.
    public struct Segment: Sendable, Hashable {
        /// Whether the frequencies sound during this step (false: silence).
        public var isOn: Bool
        /// Length of the step in milliseconds.
        public var milliseconds: Int

        public init(isOn: Bool, milliseconds: Int) {
            precondition(milliseconds > 0, "a cadence step lasts at least 1 ms")
            self.isOn = isOn
            self.milliseconds = milliseconds
        }

        public static func on(_ milliseconds: Int) -> Segment { Segment(isOn: true, milliseconds: milliseconds) }
        public static func off(_ milliseconds: Int) -> Segment { Segment(isOn: false, milliseconds: milliseconds) }
    }

    /// Frequencies in hertz, summed while a segment is on.
    public var frequencies: [Double]
    /// The repeating pattern; never empty.
    public var segments: [Segment]

    public init(frequencies: [Double], segments: [Segment]) {
        precondition(!segments.isEmpty, "a cadence has at least one step")
        self.frequencies = frequencies
        self.segments = segments
    }

    /// Length of one repetition in milliseconds.
    public var cycleMilliseconds: Int { segments.reduce(0) { $0 + $1.milliseconds } }

    /// Italy (also the fallback): 425 Hz, 1 s on, 4 s off.
    public static let italyRingback = ToneCadence(frequencies: [425], segments: [.on(1000), .off(4000)])
    /// United States: 440 + 480 Hz, 2 s on, 4 s off.
    public static let unitedStatesRingback = ToneCadence(frequencies: [440, 480], segments: [.on(2000), .off(4000)])
    /// United Kingdom: 400 + 450 Hz, 0.4 on, 0.2 off, 0.4 on, 2 s off.
    public static let unitedKingdomRingback = ToneCadence(
        frequencies: [400, 450], segments: [.on(400), .off(200), .on(400), .off(2000)])
    /// Germany: 425 Hz, 1 s on, 4 s off.
    public static let germanyRingback = ToneCadence(frequencies: [425], segments: [.on(1000), .off(4000)])
    /// France: 440 Hz, 1.5 s on, 3.5 s off.
    public static let franceRingback = ToneCadence(frequencies: [440], segments: [.on(1500), .off(3500)])

    /// The ringback for a tenant's `tone_country` (ISO 3166 alpha-2, case-insensitive; `uk` is
    /// accepted for `gb`). Unknown or empty codes get Italy's.
    public static func ringback(country: String) -> ToneCadence {
        switch country.lowercased() {
        case "us": return unitedStatesRingback
        case "gb", "uk": return unitedKingdomRingback
        case "de": return germanyRingback
        case "fr": return franceRingback
        default: return italyRingback
        }
    }
}
