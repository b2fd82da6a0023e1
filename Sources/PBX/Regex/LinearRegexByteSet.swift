/// A set of bytes (a bracket expression), as four 64-bit words.
struct LinearRegexByteSet: Sendable, Equatable {
    private var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    init() {}

    func contains(_ byte: UInt8) -> Bool {
        let bit = UInt64(1) << UInt64(byte & 63)
        switch byte >> 6 {
        case 0: return words.0 & bit != 0
        case 1: return words.1 & bit != 0
        case 2: return words.2 & bit != 0
        default: return words.3 & bit != 0
        }
    }

    mutating func insert(_ byte: UInt8) {
        let bit = UInt64(1) << UInt64(byte & 63)
        switch byte >> 6 {
        case 0: words.0 |= bit
        case 1: words.1 |= bit
        case 2: words.2 |= bit
        default: words.3 |= bit
        }
    }

    mutating func insert(_ range: ClosedRange<UInt8>) {
        for byte in range { insert(byte) }
    }

    mutating func invert() {
        words = (~words.0, ~words.1, ~words.2, ~words.3)
    }

    static func == (lhs: LinearRegexByteSet, rhs: LinearRegexByteSet) -> Bool {
        lhs.words == rhs.words
    }

    /// The POSIX character classes of the C locale (`[:alpha:]` …); nil for an unknown name.
    static func posixClass(_ name: String) -> LinearRegexByteSet? {
        var set = LinearRegexByteSet()
        switch name {
        case "alpha":
            set.insert(0x41...0x5A)
            set.insert(0x61...0x7A)
        case "digit": set.insert(0x30...0x39)
        case "alnum":
            set.insert(0x30...0x39)
            set.insert(0x41...0x5A)
            set.insert(0x61...0x7A)
        case "upper": set.insert(0x41...0x5A)
        case "lower": set.insert(0x61...0x7A)
        case "xdigit":
            set.insert(0x30...0x39)
            set.insert(0x41...0x46)
            set.insert(0x61...0x66)
        case "space":
            set.insert(0x09...0x0D)
            set.insert(0x20)
        case "blank":
            set.insert(0x09)
            set.insert(0x20)
        case "punct":
            set.insert(0x21...0x2F)
            set.insert(0x3A...0x40)
            set.insert(0x5B...0x60)
            set.insert(0x7B...0x7E)
        case "print": set.insert(0x20...0x7E)
        case "graph": set.insert(0x21...0x7E)
        case "cntrl":
            set.insert(0x00...0x1F)
            set.insert(0x7F)
        default: return nil
        }
        return set
    }
}
