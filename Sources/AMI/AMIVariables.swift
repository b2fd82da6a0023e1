/// `Variable:` headers of an action, split as Asterisk does (`astman_get_variables_order()`):
/// every header whose name starts with `Variable`, each value split on commas with
/// `AST_STANDARD_APP_ARGS` rules, each item split at its first `=`; items with no `=` or an empty
/// name are dropped; the result is in reverse order (as Asterisk sets them).
public enum AMIVariables {
    /// Most items per header; the rest stays in the last item (`AST_STANDARD_APP_ARGS` with 64 slots).
    public static let maximumItemsPerHeader = 64

    public static func parse(_ message: AMIMessage) -> [(name: String, value: String)] {
        var result: [(String, String)] = []
        for line in message.variableLines {
            for item in splitArguments(line, limit: maximumItemsPerHeader) {
                guard let equals = item.firstIndex(of: "=") else { continue }
                let name = String(item[..<equals])
                guard !name.isEmpty else { continue }
                result.append((name, String(item[item.index(after: equals)...])))
            }
        }
        return result.reversed()
    }

    /// Splits on commas outside quotes, parentheses and brackets; quotes are removed and a
    /// backslash escapes the next character (`__ast_app_separate_args()`).
    public static func splitArguments(_ text: String, limit: Int = .max) -> [String] {
        var items: [String] = []
        var current = ""
        var quoted = false
        var depth = 0
        var escaped = false
        for character in text {
            if escaped {
                current.append(character)
                escaped = false
                continue
            }
            switch character {
            case "\\":
                escaped = true
            case "\"":
                quoted.toggle()
            case "(", "[":
                if !quoted { depth += 1 }
                current.append(character)
            case ")", "]":
                if !quoted, depth > 0 { depth -= 1 }
                current.append(character)
            case "," where !quoted && depth == 0 && items.count < limit - 1:
                items.append(current)
                current = ""
            default:
                current.append(character)
            }
        }
        items.append(current)
        return items
    }
}
