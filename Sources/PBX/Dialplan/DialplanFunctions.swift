/// The dialplan functions the dialplan evaluates itself; the rest are asked of the variable source.
enum DialplanFunctions {
    static func read(_ name: String, argument: String, variables: any DialplanVariableSource) -> String? {
        switch name {
        case "LEN":
            return String(argument.utf8.count)
        case "ISNULL":
            return argument.isEmpty ? "1" : "0"
        case "EXISTS":
            return argument.isEmpty ? "0" : "1"
        case "IF":
            return conditional(argument)
        default:
            return variables.function(name, argument: argument)
        }
    }

    /// `func_logic.c:acf_if()`: `IF(expr?[true][:false])`, blanks around each part stripped;
    /// nil (a failed read) when the expression is empty or there is no `?`.
    static func conditional(_ argument: String) -> String? {
        let halves = ApplicationArguments.split(argument, delimiter: "?", limit: 2)
        guard halves.count == 2, !halves[0].isEmpty else { return nil }
        let branches = ApplicationArguments.split(halves[1], delimiter: ":", limit: 2)
        guard !branches.isEmpty else { return nil }
        let condition = strip(halves[0])
        let ifTrue = branches.first.map(strip) ?? ""
        let ifFalse = branches.count > 1 ? strip(branches[1]) : ""
        return GotoIfCondition.isTrue(condition) ? ifTrue : ifFalse
    }

    /// `ast_strip()`: blanks off both ends.
    static func strip(_ text: String) -> String {
        String(stripped(text[...]))
    }

    /// `strip` without a copy: `text` less its leading and trailing blanks. Each end is compared a
    /// whole `Character` at a time (a blank followed by a combining mark is not a blank; neither is
    /// the one `Character` CR LF), without hashing characters into a set or reversing sequences.
    static func stripped(_ text: Substring) -> Substring {
        var start = text.startIndex
        var end = text.endIndex
        while start < end, isBlank(text[start]) { start = text.index(after: start) }
        while start < end {
            let last = text.index(before: end)
            guard isBlank(text[last]) else { break }
            end = last
        }
        return text[start..<end]
    }

    /// A blank for `ast_strip()`: space, tab, line feed, carriage return.
    static func isBlank(_ character: Character) -> Bool {
        character == " " || character == "\t" || character == "\n" || character == "\r"
    }
}
