/// A caller ID (name and number), parsed as Asterisk's `ast_callerid_parse()` and cleaned as
/// `ast_shrink_phone_number()` does for the number.
public struct CallerID: Sendable, Hashable {
    public var name: String
    public var number: String

    public init(name: String = "", number: String = "") {
        self.name = name
        self.number = number
    }

    /// `"Name" <number>`, `Name <number>`, `<number>`, or a bare number (a bare non-number is a name).
    public init(parsing text: String) {
        let trimmed = text.trimmingBlanks()
        if let open = trimmed.lastIndex(of: "<"), let close = trimmed[open...].firstIndex(of: ">") {
            let number = String(trimmed[trimmed.index(after: open)..<close])
            var name = String(trimmed[..<open]).trimmingBlanks()
            if name.hasPrefix("\""), name.hasSuffix("\""), name.count >= 2 {
                name = String(name.dropFirst().dropLast())
            }
            self.init(name: name, number: Self.shrink(number))
        } else if !trimmed.isEmpty, trimmed.allSatisfy({ "0123456789+*#-() .".contains($0) }) {
            self.init(name: "", number: Self.shrink(trimmed))
        } else {
            var name = trimmed
            if name.hasPrefix("\""), name.hasSuffix("\""), name.count >= 2 { name = String(name.dropFirst().dropLast()) }
            self.init(name: name, number: "")
        }
    }

    /// Removes spaces, `(`, `)`, and `-` or `.` outside `[...]`, as `ast_shrink_phone_number()`.
    public static func shrink(_ number: String) -> String {
        var result = ""
        var bracket = 0
        for character in number {
            switch character {
            case "[":
                bracket += 1
                result.append(character)
            case "]":
                bracket = max(0, bracket - 1)
                result.append(character)
            case "-", ".": if bracket > 0 { result.append(character) }
            case " ", "(", ")", "\t": continue
            default: result.append(character)
            }
        }
        return result
    }
}

extension String {
    /// The string without leading and trailing spaces and tabs.
    func trimmingBlanks() -> String {
        guard let first = firstIndex(where: { $0 != " " && $0 != "\t" }),
            let last = lastIndex(where: { $0 != " " && $0 != "\t" })
        else { return "" }
        return String(self[first...last])
    }
}
