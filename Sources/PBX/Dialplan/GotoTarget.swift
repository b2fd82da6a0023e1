/// A `Goto` destination, `[[context,]exten,]priority`, as `pbx_parseable_goto()` reads it.
///
/// The priority is a number, a label, or `+n`/`-n` relative to the current priority.
public struct GotoTarget: Sendable, Hashable {
    public enum Priority: Sendable, Hashable {
        case number(Int)
        case label(String)
        /// `+2` / `-1`: relative to the priority that runs the Goto.
        case relative(Int)
    }

    public var context: String?
    public var exten: String?
    public var priority: Priority

    public init(context: String? = nil, exten: String? = nil, priority: Priority) {
        self.context = context
        self.exten = exten
        self.priority = priority
    }

    /// nil for empty data (Asterisk: "Goto requires an argument").
    public init?(_ data: String) {
        guard !data.isEmpty else { return nil }
        // Three strsep() calls: anything after a third comma is ignored.
        // At most three splits: the fourth part (the rest after a third comma) is not looked at.
        let parts = data.split(separator: ",", maxSplits: 3, omittingEmptySubsequences: false)
        let text: Substring
        switch parts.count {
        case 1: text = parts[0]
        case 2:
            exten = String(parts[0])
            text = parts[1]
        default:
            context = String(parts[0])
            exten = String(parts[1])
            text = parts[2]
        }
        priority = Self.parsePriority(text)
    }

    private static func parsePriority(_ text: Substring) -> Priority {
        var body = text
        var sign = 0
        if body.first == "+" {
            sign = 1
            body = body.dropFirst()
        } else if body.first == "-" {
            sign = -1
            body = body.dropFirst()
        }
        // sscanf("%d%1s") == 1: an integer, blanks around it allowed, nothing else.
        let trimmed = DialplanFunctions.stripped(body)
        // `%d` reads a C `int`: a priority beyond `Int32` is not a number (it stays a label that
        // no extension has), and the relative arithmetic below cannot overflow.
        if let value = Int32(trimmed).map(Int.init) {
            return sign == 0 ? .number(value) : .relative(sign * value)
        }
        return .label(String(body))
    }
}
