/// A caller ID (name and number), parsed as Asterisk's `ast_callerid_parse()` and cleaned as
/// `ast_shrink_phone_number()` does for the number.
public struct CallerID: Sendable, Hashable {
    public var name: String
    public var number: String

    /// Most UTF-8 bytes of a caller ID name: a SIP display name, an Originate `CallerID` or a directory
    /// name longer than this is cut at a character boundary where it enters a channel, so no caller
    /// inflates `CallerIDName` in every event, CDR and AMI filter match of the call (docs/security.md).
    public static let maximumNameBytes = 256
    /// Most UTF-8 bytes of a caller ID number (Asterisk's `AST_MAX_EXTENSION`, 80); also the most of a
    /// dialled extension taken from a SIP Request-URI.
    public static let maximumNumberBytes = 80

    /// Name and number, each cut to its limit (and at a NUL, where Asterisk's C string ends).
    public init(name: String = "", number: String = "") {
        self.name = Self.bounded(name, toBytes: Self.maximumNameBytes)
        self.number = Self.bounded(number, toBytes: Self.maximumNumberBytes)
    }

    /// `text` if it has at most `limit` UTF-8 bytes and no NUL, else its longest start up to the first
    /// NUL of at most `limit` bytes that ends at a character boundary.
    public static func bounded(_ text: String, toBytes limit: Int) -> String {
        if text.utf8.count <= limit, !text.utf8.contains(0) { return text }
        return CallDetailRecord.truncated(text, toBytes: limit)
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
