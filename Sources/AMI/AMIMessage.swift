/// One AMI message as it arrived: an ordered list of `Key: Value` header lines.
///
/// Keys are matched case-insensitively and the first occurrence wins, as Asterisk's
/// `__astman_get_header()` does; `Variable` is the exception and is collected from every line.
public struct AMIMessage: Sendable, Equatable {
    public struct Header: Sendable, Equatable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// Every header line in arrival order (lines without a colon are not kept).
    public var headers: [Header]

    public init(headers: [Header] = []) {
        self.headers = headers
    }

    public init(_ pairs: KeyValuePairs<String, String>) {
        self.headers = pairs.map { Header(name: $0.key, value: $0.value) }
    }

    /// The value of the first header named `name` (case-insensitive), or nil.
    public subscript(name: String) -> String? {
        for header in headers where header.name.equalsIgnoringASCIICase(name) {
            return header.value
        }
        return nil
    }

    /// The value of the first header named `name`, or "" when absent (Asterisk's `astman_get_header`).
    public func value(_ name: String) -> String {
        self[name] ?? ""
    }

    /// The `Action:` header, or "" when absent.
    public var action: String { value("Action") }

    /// The `ActionID:` header, or "" when absent.
    public var actionID: String { value("ActionID") }

    /// `action` and `actionID` in one pass over the headers (what every message needs first). The exact
    /// spellings are tried first: `==` on the decoder's literal names is a compare of two words.
    public var actionAndActionID: (action: String, actionID: String) {
        var action: String?
        var actionID: String?
        for index in headers.indices {
            let name = headers[index].name
            if action == nil, name == "Action" || name.equalsIgnoringASCIICase("Action") {
                action = headers[index].value
                if actionID != nil { break }
            } else if actionID == nil, name == "ActionID" || name.equalsIgnoringASCIICase("ActionID") {
                actionID = headers[index].value
                if action != nil { break }
            }
        }
        return (action ?? "", actionID ?? "")
    }

    /// Every value of every header whose name starts with `Variable` (case-insensitive), in arrival order.
    public var variableLines: [String] {
        headers.filter { $0.name.utf8.count >= 8 && String($0.name.prefix(8)).equalsIgnoringASCIICase("variable") }.map(\.value)
    }
}
