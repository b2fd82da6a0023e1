/// A duration given to a dialplan application (`Wait(1.5)`, `Dial(...,30)`), read as Asterisk's
/// `ast_app_parse_timelen()` reads it: a decimal number with an optional unit (`ms`, `s`, `m`, `h`),
/// converted to whole milliseconds without ever trapping.
///
/// Asterisk clamps a long duration to `INT_MAX` milliseconds and treats what is not a number as
/// invalid (the application then does not wait). NaN is invalid here too; `inf` clamps like any
/// huge value; a negative duration stays negative (callers treat it as "no wait").
public enum DurationArgument {
    /// The unit a bare number is in.
    public enum Unit: Sendable {
        case milliseconds, seconds, minutes, hours

        var milliseconds: Double {
            switch self {
            case .milliseconds: return 1
            case .seconds: return 1_000
            case .minutes: return 60_000
            case .hours: return 3_600_000
            }
        }
    }

    /// Longest duration: `INT_MAX` ms, about 24.8 days (`ast_app_parse_timelen()` clamps there).
    public static let maximumMilliseconds = Int(Int32.max)
    /// Most negative result, the mirror bound (a C `int`).
    public static let minimumMilliseconds = Int(Int32.min)
    /// Characters of the number looked at, as `sscanf("%30lf")` does.
    static let maximumNumberLength = 30

    /// Milliseconds within `minimumMilliseconds...maximumMilliseconds`, or nil when `text` is not
    /// a number (empty, NaN, letters, an unknown unit).
    public static func milliseconds(_ text: String, unit: Unit = .seconds) -> Int? {
        let (amount, afterNumber) = scanNumber(Substring(text).drop(while: isBlank))
        guard let amount else { return nil }
        let rest = afterNumber.drop(while: isBlank)
        var chosen = unit
        if !rest.isEmpty {
            // `%9s` after the number: the next word is the unit (what follows it is not read).
            guard let parsed = parseUnit(rest.prefix { !isBlank($0) }) else { return nil }
            chosen = parsed
        }
        return clamp(amount * chosen.milliseconds)
    }

    /// A finite or infinite amount of milliseconds as an `Int` within the bounds; nil for NaN.
    public static func clamp(_ milliseconds: Double) -> Int? {
        guard !milliseconds.isNaN else { return nil }
        if milliseconds >= Double(maximumMilliseconds) { return maximumMilliseconds }
        if milliseconds <= Double(minimumMilliseconds) { return minimumMilliseconds }
        return Int(milliseconds)
    }

    static func parseUnit(_ word: Substring) -> Unit? {
        switch word.lowercased() {
        case "ms": return .milliseconds
        case "s": return .seconds
        case "m": return .minutes
        case "h": return .hours
        default: return nil
        }
    }

    /// The longest prefix `strtod()` would read as a decimal number (`inf`, `infinity`, `nan` too),
    /// limited to `maximumNumberLength` characters; nil when there is none.
    static func scanNumber(_ text: Substring) -> (Double?, Substring) {
        let limited = text.prefix(maximumNumberLength)
        var index = limited.startIndex
        if index < limited.endIndex, limited[index] == "+" || limited[index] == "-" { index = limited.index(after: index) }
        let afterSign = limited[index...].lowercased()
        for word in ["infinity", "inf", "nan"] where afterSign.hasPrefix(word) {
            let end = limited.index(index, offsetBy: word.count)
            let negative = limited.first == "-"
            let value: Double = word == "nan" ? .nan : (negative ? -.infinity : .infinity)
            return (value, text[end...])
        }
        var sawDigit = false
        while index < limited.endIndex, limited[index].isASCII, limited[index].isNumber {
            index = limited.index(after: index)
            sawDigit = true
        }
        if index < limited.endIndex, limited[index] == "." {
            index = limited.index(after: index)
            while index < limited.endIndex, limited[index].isASCII, limited[index].isNumber {
                index = limited.index(after: index)
                sawDigit = true
            }
        }
        guard sawDigit else { return (nil, text) }
        // An exponent counts only when digits follow it ("5e" is 5 followed by "e").
        if index < limited.endIndex, limited[index] == "e" || limited[index] == "E" {
            var exponent = limited.index(after: index)
            if exponent < limited.endIndex, limited[exponent] == "+" || limited[exponent] == "-" { exponent = limited.index(after: exponent) }
            var end = exponent
            while end < limited.endIndex, limited[end].isASCII, limited[end].isNumber { end = limited.index(after: end) }
            if end > exponent { index = end }
        }
        guard let value = Double(String(limited[..<index])) else { return (nil, text) }
        return (value, text[index...])
    }

    private static func isBlank(_ c: Character) -> Bool { c == " " || c == "\t" || c == "\n" || c == "\r" }
}
