/// Variable, function and expression substitution as `pbx_substitute_variables_helper_full()` does it:
/// `${VAR}`, `${VAR:offset[:length]}` (negative values count from the end), `${FUNC(args)}`,
/// `$[expression]`, nested to any depth (`${IF($["${X}" != ""]?${X}:30)}`).
public enum DialplanSubstitution {
    /// Nesting bound for substitutions that expand into further substitutions.
    public static let maximumDepth = 32

    /// Returns `text` with every `${...}` and `$[...]` replaced. Unknown variables become empty.
    public static func substitute(_ text: String, variables: any DialplanVariableSource) -> String {
        // Without a `$` there is nothing to replace (most arguments): no copy into characters.
        guard text.utf8.contains(UInt8(ascii: "$")) else { return text }
        return substitute(Array(text), variables: variables, depth: 0)
    }

    static func substitute(_ chars: [Character], variables: any DialplanVariableSource, depth: Int) -> String {
        guard depth < maximumDepth else { return String(chars) }
        var output = ""
        var i = 0
        while i < chars.count {
            let c = chars[i]
            guard c == "$", i + 1 < chars.count, chars[i + 1] == "{" || chars[i + 1] == "[" else {
                output.append(c)
                i += 1
                continue
            }
            let isVariable = chars[i + 1] == "{"
            let (inner, needsSubstitution, end) = isVariable ? scanVariable(chars, from: i + 2) : scanExpression(chars, from: i + 2)
            i = end
            let body = needsSubstitution ? substitute(inner, variables: variables, depth: depth + 1) : String(inner)
            if isVariable {
                output += value(of: body, variables: variables, depth: depth)
            } else {
                output += DialplanExpression.evaluate(body, variables: variables)
            }
        }
        return output
    }

    /// The body of `${...}` starting after the brace, whether it holds nested substitutions, and where it ends.
    /// A missing `}` takes the rest of the text, less its last character, as Asterisk does.
    private static func scanVariable(_ chars: [Character], from start: Int) -> ([Character], Bool, Int) {
        var brackets = 1
        var needs = false
        var j = start
        while brackets > 0, j < chars.count {
            if chars[j] == "$", j + 1 < chars.count, chars[j + 1] == "{" {
                needs = true
                brackets += 1
                j += 1
            } else if chars[j] == "{" {
                brackets += 1
            } else if chars[j] == "}" {
                brackets -= 1
            } else if chars[j] == "$", j + 1 < chars.count, chars[j + 1] == "[" {
                needs = true
            }
            j += 1
        }
        return (Array(chars[start..<max(start, j - 1)]), needs, j)
    }

    /// The body of `$[...]`, as `scanVariable` does for braces.
    private static func scanExpression(_ chars: [Character], from start: Int) -> ([Character], Bool, Int) {
        var brackets = 1
        var needs = false
        var j = start
        while brackets > 0, j < chars.count {
            if chars[j] == "$", j + 1 < chars.count, chars[j + 1] == "[" {
                needs = true
                brackets += 1
                j += 1
            } else if chars[j] == "[" {
                brackets += 1
            } else if chars[j] == "]" {
                brackets -= 1
            } else if chars[j] == "$", j + 1 < chars.count, chars[j + 1] == "{" {
                needs = true
                j += 1
            }
            j += 1
        }
        return (Array(chars[start..<max(start, j - 1)]), needs, j)
    }

    /// The value of a `${...}` body: a function or a variable, then the `:offset:length` substring.
    static func value(of body: String, variables: any DialplanVariableSource, depth: Int) -> String {
        let (name, range) = splitSubstring(body)
        let raw: String?
        if let open = name.firstIndex(of: "(") {
            let function = String(name[..<open])
            var argument = name[name.index(after: open)...]
            if let close = argument.lastIndex(of: ")") { argument = argument[..<close] }
            raw = DialplanFunctions.read(function, argument: String(argument), variables: variables)
        } else {
            raw = variables.variable(name)
        }
        guard let raw else { return "" }
        guard let range else { return raw }
        return substring(raw, offset: range.offset, length: range.length)
    }

    /// `parse_variable_name()`: cuts `NAME:offset:length` at the first `:` outside parentheses.
    static func splitSubstring(_ body: String) -> (name: String, range: (offset: Int, length: Int)?) {
        var parens = 0
        for index in body.indices {
            switch body[index] {
            case "(": parens += 1
            case ")": parens -= 1
            case ":" where parens == 0:
                let rest = String(body[body.index(after: index)...])
                // sscanf("%d:%d"): a missing or bad offset leaves 0, a missing length leaves "all".
                var offset = 0
                var length = Int(Int32.max)
                if let first = ApplicationArguments.scanInteger(rest) {
                    offset = first
                    let (_, tail) = ApplicationArguments.splitOnce(rest, at: ":")
                    if let tail, let second = ApplicationArguments.scanInteger(tail) { length = second }
                }
                return (String(body[..<index]), (offset, length))
            default: break
            }
        }
        return (body, nil)
    }

    /// `substring()` of `main/pbx.c`, on bytes: negative offset counts from the end, negative length
    /// leaves that many bytes off the end.
    public static func substring(_ value: String, offset: Int, length: Int) -> String {
        let bytes = Array(value.utf8)
        let total = bytes.count
        if offset == 0 && length >= total { return value }
        var start = offset
        if start < 0 { start = max(0, total + start) }
        if start >= total { return "" }
        var end = total
        if length >= 0 && length < total - start {
            end = start + length
        } else if length < 0 {
            end = total > start - length ? total + length : start
        }
        return String(decoding: bytes[start..<max(start, end)], as: UTF8.self)
    }
}
