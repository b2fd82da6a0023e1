/// Argument splitting exactly as `AST_STANDARD_APP_ARGS` / `AST_NONSTANDARD_APP_ARGS` do it
/// (`main/app.c:__ast_app_separate_args()` with `remove_chars` set).
public enum ApplicationArguments {
    /// Splits `data` at `delimiter`, at most `limit` items (the last keeps the unsplit rest, raw).
    ///
    /// - `"` toggles quoting and is removed; a delimiter inside quotes is kept;
    /// - a delimiter inside `(...)` or `[...]` is kept (nesting is counted even inside quotes, as Asterisk does);
    /// - a backslash is removed and the next character is taken literally;
    /// - empty data gives no items; a trailing delimiter gives a final empty item.
    public static func split(_ data: String, delimiter: Character = ",", limit: Int = Int.max) -> [String] {
        let chars = Array(data)
        guard limit > 0, !chars.isEmpty else { return [] }
        var items: [String] = []
        var index = 0
        var paren = 0
        var bracket = 0
        var quoted = false
        var endedOnDelimiter = false
        while index < chars.count, items.count < limit - 1 {
            var item = ""
            endedOnDelimiter = false
            while index < chars.count {
                let c = chars[index]
                index += 1
                if c == "(" {
                    paren += 1
                } else if c == ")" {
                    if paren > 0 { paren -= 1 }
                } else if c == "[" {
                    bracket += 1
                } else if c == "]" {
                    if bracket > 0 { bracket -= 1 }
                } else if c == "\"" && delimiter != "\"" {
                    quoted.toggle()
                    continue
                } else if c == "\\" {
                    if index < chars.count {
                        item.append(chars[index])
                        index += 1
                    }
                    continue
                } else if c == delimiter && paren == 0 && !quoted && bracket == 0 {
                    endedOnDelimiter = true
                    break
                }
                item.append(c)
            }
            items.append(item)
        }
        if index < chars.count {
            items.append(String(chars[index...]))
        } else if endedOnDelimiter {
            items.append("")
        }
        return items
    }

    /// Splits at the first `separator` (`strsep()` once): `("a", "b=c")` for `a=b=c` split at `=`;
    /// the second part is nil when the separator is absent.
    public static func splitOnce(_ text: String, at separator: Character) -> (head: String, rest: String?) {
        guard let index = text.firstIndex(of: separator) else { return (text, nil) }
        return (String(text[..<index]), String(text[text.index(after: index)...]))
    }

    /// C `atoi()`: optional blanks and sign, then leading digits; 0 when there are none.
    public static func leadingInteger(_ text: String) -> Int {
        scanInteger(text) ?? 0
    }

    /// `sscanf(text, "%d")`: the leading integer, or nil when the text does not start with one.
    /// Like a C `int`, the value saturates at `Int32.min`/`Int32.max`, so callers can add to it freely.
    public static func scanInteger(_ text: String) -> Int? {
        var chars = Substring(text).drop { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        var negative = false
        if let sign = chars.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            chars = chars.dropFirst()
        }
        let digits = chars.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty else { return nil }
        // Past ten significant digits the value is beyond any `Int32`: saturate.
        let significant = digits.drop { $0 == "0" }
        let magnitude = significant.count > 10 ? Int(Int32.max) + 1 : (Int(significant) ?? 0)
        return negative ? max(-magnitude, Int(Int32.min)) : min(magnitude, Int(Int32.max))
    }
}
