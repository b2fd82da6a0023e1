/// The one rule for provisioned text (names, domains, user names, ACL entries): no control
/// characters. Such text ends up in SIP headers, AMI fields, HTML and logs, where a CR or LF would
/// start a new header, field or event (CR/LF injection), and a NUL would cut it short.
///
/// Refused: C0 controls U+0000–U+001F (TAB only where a field allows it), DEL U+007F, C1 controls
/// U+0080–U+009F (NEL among them) and the Unicode line and paragraph separators U+2028/U+2029.
public enum PlainText {
    /// The first refused character of `text`, or nil when it is plain.
    public static func firstControlCharacter<S: StringProtocol>(in text: S, allowingTab: Bool = false) -> Unicode.Scalar? {
        text.unicodeScalars.first { isControl($0, allowingTab: allowingTab) }
    }

    /// Whether `text` has no control character.
    public static func isPlain<S: StringProtocol>(_ text: S, allowingTab: Bool = false) -> Bool {
        firstControlCharacter(in: text, allowingTab: allowingTab) == nil
    }

    /// Why `text` is refused (`contains a control character (U+000D)`), or nil when it is plain.
    public static func problem<S: StringProtocol>(in text: S, allowingTab: Bool = false) -> String? {
        firstControlCharacter(in: text, allowingTab: allowingTab).map { "contains a control character (\(codePoint($0)))" }
    }

    public static func isControl(_ scalar: Unicode.Scalar, allowingTab: Bool = false) -> Bool {
        switch scalar.value {
        case 0x09: return !allowingTab
        case 0x00...0x1F, 0x7F...0x9F, 0x2028, 0x2029: return true
        default: return false
        }
    }

    /// `text` in single quotes with every control character written as `\r`, `\n`, `\t` or
    /// `\u{…}`, so an error message that echoes a value cannot itself inject a line.
    public static func quoted(_ text: String) -> String {
        var output = "'"
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\r": output += "\\r"
            case "\n": output += "\\n"
            case "\t": output += "\\t"
            default:
                if isControl(scalar) {
                    output += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
                } else {
                    output.unicodeScalars.append(scalar)
                }
            }
        }
        return output + "'"
    }

    static func codePoint(_ scalar: Unicode.Scalar) -> String {
        let hex = String(scalar.value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }
}
