/// An extension name as written in the dialplan: a literal (`100`, `s`, `i`) or a pattern (`_0.`, `_1XX`, `_[2-4]!`).
///
/// Matching and ordering follow Asterisk's `main/pbx.c` (`_extension_match_core()`, `ext_cmp()`):
/// `X` is 0-9, `Z` 1-9, `N` 2-9 (case-insensitive), `[a-c1-3]` a class, `.` one or more of anything,
/// `!` zero or more; `-` is eye candy and ignored on both sides. Literals compare byte by byte.
public struct ExtensionPattern: Sendable, Hashable, CustomStringConvertible {
    /// The text as written, including the leading `_` of a pattern.
    public let text: String
    private let bytes: [UInt8]

    public init(_ text: String) {
        self.text = text
        self.bytes = Array(text.utf8)
    }

    /// True when the text starts with `_`.
    public var isPattern: Bool { bytes.first == UInt8(ascii: "_") }

    public var description: String { text }

    /// `ast_extension_match()`: `digits` is a complete match for this extension.
    public func matches(_ digits: String) -> Bool {
        match(Array(digits.utf8), mode: .exact) != 0
    }

    /// `ast_canmatch_extension()`: `digits` matches now or could match with more digits.
    public func canMatch(_ digits: String) -> Bool {
        match(Array(digits.utf8), mode: .canMatch) != 0
    }

    /// `ast_matchmore_extension()`: `digits` could match only if more digits follow
    /// (an extension ending in `!` answers no: its match is final).
    public func matchesPrefix(_ digits: String) -> Bool {
        match(Array(digits.utf8), mode: .matchMore) == 1
    }

    /// Asterisk's sort order (`ext_cmp()`): negative when `self` is tried before `other`.
    /// Literals come before patterns; patterns compare position by position, the smaller
    /// character set first, then `.` before `!` before the end of the pattern.
    public func order(comparedTo other: ExtensionPattern) -> Int {
        switch (isPattern, other.isPattern) {
        case (false, true): return -1
        case (true, false): return 1
        case (false, false): return Self.compareLiterals(bytes, other.bytes)
        case (true, true): return PatternOrdering.compare(Array(bytes.dropFirst()), Array(other.bytes.dropFirst()))
        }
    }

    // MARK: - Matching

    enum Mode { case exact, matchMore, canMatch }

    private static let dash = UInt8(ascii: "-")

    /// `_extension_match_core()`: 0 no match, 1 match, 2 early match (`!`).
    func match(_ data: [UInt8], mode: Mode) -> Int {
        guard isPattern else { return matchLiteral(data, mode: mode) }
        var p = 1
        var d = 0
        while true {
            while d < data.count, data[d] == Self.dash { d += 1 }
            while p < bytes.count, bytes[p] == Self.dash { p += 1 }
            if d >= data.count || p >= bytes.count || bytes[p] == UInt8(ascii: "/") { break }
            let c = data[d]
            switch bytes[p] {
            case UInt8(ascii: "["):
                guard let end = bytes[(p + 1)...].firstIndex(of: UInt8(ascii: "]")) else { return 0 }
                if end == p + 1 {
                    p = end + 1
                    continue
                }  // empty set is ignored
                guard PatternOrdering.characterSet(bytes[(p + 1)..<end]).contains(c) else { return 0 }
                p = end
            case UInt8(ascii: "N"), UInt8(ascii: "n"):
                if c < UInt8(ascii: "2") || c > UInt8(ascii: "9") { return 0 }
            case UInt8(ascii: "X"), UInt8(ascii: "x"):
                if c < UInt8(ascii: "0") || c > UInt8(ascii: "9") { return 0 }
            case UInt8(ascii: "Z"), UInt8(ascii: "z"):
                if c < UInt8(ascii: "1") || c > UInt8(ascii: "9") { return 0 }
            case UInt8(ascii: "."):
                return 1
            case UInt8(ascii: "!"):
                return 2
            default:
                if c != bytes[p] { return 0 }
            }
            d += 1
            p += 1
        }
        if d < data.count { return 0 }  // data longer than the pattern
        if p >= bytes.count || bytes[p] == UInt8(ascii: "/") { return mode == .matchMore ? 0 : 1 }
        if bytes[p] == UInt8(ascii: "!") { return 2 }
        return mode == .exact ? 0 : 1  // pattern has more to match
    }

    private func matchLiteral(_ data: [UInt8], mode: Mode) -> Int {
        let pattern = bytes.filter { $0 != Self.dash }
        let digits = data.filter { $0 != Self.dash }
        if pattern.count < digits.count { return 0 }
        switch mode {
        case .exact:
            return pattern == digits ? 1 : 0
        case .matchMore, .canMatch:
            guard pattern.starts(with: digits) else { return 0 }
            if mode == .matchMore { return pattern.count > digits.count ? 1 : 0 }
            return 1
        }
    }

    /// `ext_cmp_exten()`: byte comparison ignoring `-`.
    static func compareLiterals(_ left: [UInt8], _ right: [UInt8]) -> Int {
        let l = left.filter { $0 != dash }
        let r = right.filter { $0 != dash }
        for (a, b) in zip(l, r) where a != b { return Int(a) - Int(b) }
        if l.count == r.count { return 0 }
        return l.count < r.count ? -Int(r[l.count]) : Int(l[r.count])
    }
}
