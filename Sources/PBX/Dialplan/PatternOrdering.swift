/// The position-by-position scoring behind Asterisk's pattern sort (`main/pbx.c:ext_cmp_pattern_pos()`).
///
/// Each position scores `count << 8 | lowest character` for a character set (a literal is a set of one),
/// `0x18000` for `.`, `0x28000` for `!` and `0x30000` for the end of the pattern; the lower score is
/// more specific and sorts first. Equal scores are broken by the sets' bitmaps, lower characters first.
enum PatternOrdering {
    private struct Position {
        var score: Int
        var bitmap: [UInt8]  // 256 bits, the most significant bit of each byte is the lowest character
        var atEnd: Bool
    }

    /// Compares two patterns without their leading `_`.
    static func compare(_ left: [UInt8], _ right: [UInt8]) -> Int {
        var l = 0
        var r = 0
        while true {
            let a = position(left, &l)
            let b = position(right, &r)
            var cmp = a.score - b.score
            if cmp == 0 { cmp = compareBitmaps(b.bitmap, a.bitmap) }  // swapped, as in Asterisk
            if cmp != 0 || a.atEnd { return cmp }
        }
    }

    /// The characters a `[...]` body stands for (`a-c` is a range only with a character on each side).
    static func characterSet(_ body: ArraySlice<UInt8>) -> Set<UInt8> {
        var result = Set<UInt8>()
        var i = body.startIndex
        while i < body.endIndex {
            let first = body[i]
            if i + 2 < body.endIndex, body[i + 1] == UInt8(ascii: "-") {
                let last = body[i + 2]
                if first <= last { result.formUnion(first...last) }
                i += 3
            } else {
                result.insert(first)
                i += 1
            }
        }
        return result
    }

    private static func position(_ p: [UInt8], _ i: inout Int) -> Position {
        var bitmap = [UInt8](repeating: 0, count: 32)
        while true {
            while i < p.count, p[i] == UInt8(ascii: "-") { i += 1 }
            guard i < p.count else { return Position(score: 0x30000, bitmap: bitmap, atEnd: true) }
            let c = p[i]
            i += 1
            switch c {
            case UInt8(ascii: "n"), UInt8(ascii: "N"):
                bitmap[6] = 0x3f
                bitmap[7] = 0xc0
                return Position(score: 0x0800 | Int(UInt8(ascii: "2")), bitmap: bitmap, atEnd: false)
            case UInt8(ascii: "x"), UInt8(ascii: "X"):
                bitmap[6] = 0xff
                bitmap[7] = 0xc0
                return Position(score: 0x0A00 | Int(UInt8(ascii: "0")), bitmap: bitmap, atEnd: false)
            case UInt8(ascii: "z"), UInt8(ascii: "Z"):
                bitmap[6] = 0x7f
                bitmap[7] = 0xc0
                return Position(score: 0x0900 | Int(UInt8(ascii: "1")), bitmap: bitmap, atEnd: false)
            case UInt8(ascii: "."):
                return Position(score: 0x18000, bitmap: bitmap, atEnd: false)
            case UInt8(ascii: "!"):
                return Position(score: 0x28000, bitmap: bitmap, atEnd: false)
            case UInt8(ascii: "["):
                guard let end = p[i...].firstIndex(of: UInt8(ascii: "]")) else {
                    return Position(score: 0x40000, bitmap: bitmap, atEnd: false)  // broken set sorts last
                }
                let set = characterSet(p[i..<end])
                i = end + 1
                if set.isEmpty { continue }  // the empty set is ignored
                for member in set { bitmap[Int(member) / 8] |= 1 << (7 - member % 8) }
                return Position(score: set.count << 8 | Int(set.min() ?? 0), bitmap: bitmap, atEnd: false)
            default:
                bitmap[Int(c) / 8] = 1 << (7 - c % 8)
                return Position(score: 0x0100 | Int(c), bitmap: bitmap, atEnd: false)
            }
        }
    }

    private static func compareBitmaps(_ a: [UInt8], _ b: [UInt8]) -> Int {
        for (x, y) in zip(a, b) where x != y { return Int(x) - Int(y) }
        return 0
    }
}
