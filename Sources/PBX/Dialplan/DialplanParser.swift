/// Reads extensions.conf text (the subset Centralino generates and Asterisk users write) into a `Dialplan`.
///
/// Supported: `[context]`, `exten => name,priority[(label)],App(data)`, `same => ...`, priorities
/// `1`, `n`, `s`/`same`, `hint`, a label, each with an optional `+k`; `include => context`; `[globals]`
/// (`NAME=value`); `[general]` (ignored); `;` comments, `;-- block --;` comments and `\;`.
/// Follows `pbx_config.c:pbx_load_config()`: `n` counts from the previous line of the same context.
public enum DialplanParser {
    public static func parse(_ text: String) throws(DialplanParseError) -> Dialplan {
        var state = ParseState()
        var inBlockComment = false
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = stripComments(String(rawLine), inBlockComment: &inBlockComment)
            let trimmed = DialplanFunctions.strip(line)
            if trimmed.isEmpty { continue }
            try state.consume(trimmed, line: index + 1)
        }
        state.finishContext()
        return state.dialplan
    }

    /// Removes `; comments` and `;-- block comments --;`; `\;` stays as a literal `;`.
    static func stripComments(_ line: String, inBlockComment: inout Bool) -> String {
        // Both comment forms and `\;` need a `;` (as a `Character`, U+037E GREEK QUESTION MARK is
        // one too: its first byte 0xCD is looked for as well): without one the line is all text, or
        // all comment.
        guard line.utf8.contains(where: { $0 == UInt8(ascii: ";") || $0 == 0xCD }) else { return inBlockComment ? "" : line }
        var output = ""
        let chars = Array(line)
        var i = 0
        while i < chars.count {
            if inBlockComment {
                if chars[i...].starts(with: ["-", "-", ";"]) {
                    inBlockComment = false
                    i += 3
                } else {
                    i += 1
                }
                continue
            }
            if chars[i] == "\\", i + 1 < chars.count, chars[i + 1] == ";" {
                output.append(";")
                i += 2
                continue
            }
            if chars[i] == ";" {
                if chars[i...].starts(with: [";", "-", "-"]) {
                    inBlockComment = true
                    i += 3
                    continue
                }
                break
            }
            output.append(chars[i])
            i += 1
        }
        return output
    }

    private enum Section { case none, general, globals, context }

    private struct ParseState {
        var dialplan = Dialplan()
        var section = Section.none
        var context = DialplanContext(name: "")
        var lastPriority: Int?
        var lastExtension: String?

        mutating func finishContext() {
            if section == .context { dialplan.insert(context) }
        }

        mutating func consume(_ text: String, line: Int) throws(DialplanParseError) {
            if text.hasPrefix("[") {
                guard let close = text.firstIndex(of: "]") else {
                    throw DialplanParseError(.unterminatedContextName, line: line, "missing ']' in context name")
                }
                finishContext()
                let name = DialplanFunctions.strip(String(text[text.index(after: text.startIndex)..<close]))
                switch name {
                case "general": section = .general
                case "globals": section = .globals
                default:
                    section = .context
                    context = dialplan[context: name] ?? DialplanContext(name: name)
                    lastPriority = nil
                    lastExtension = nil
                }
                return
            }
            guard let equals = text.firstIndex(of: "=") else {
                throw DialplanParseError(.missingArrow, line: line, "expected 'key => value' or a [context]")
            }
            let key = DialplanFunctions.strip(String(text[..<equals])).lowercased()
            var value = text[text.index(after: equals)...]
            if value.first == ">" { value = value.dropFirst() }
            let argument = DialplanFunctions.strip(String(value))
            switch section {
            case .general:
                return
            case .globals:
                guard !key.isEmpty else { throw DialplanParseError(.invalidGlobal, line: line, "global without a name") }
                dialplan.globals[DialplanFunctions.strip(String(text[..<equals]))] = argument
            case .none:
                throw DialplanParseError(.statementOutsideContext, line: line, "'\(key)' before any [context]")
            case .context:
                switch key {
                case "exten": try addExtension(argument, same: false, line: line)
                case "same": try addExtension(argument, same: true, line: line)
                case "include":
                    let name = ApplicationArguments.splitOnce(argument, at: ",").head
                    context.includes.append(DialplanFunctions.strip(name))
                default:
                    throw DialplanParseError(.unknownKeyword, line: line, "unsupported keyword '\(key)'")
                }
            }
        }

        private mutating func addExtension(_ text: String, same: Bool, line: Int) throws(DialplanParseError) {
            var rest = Substring(text)
            let name: String
            if same {
                guard let last = lastExtension else {
                    throw DialplanParseError(.sameWithoutExtension, line: line, "'same' with no extension before it")
                }
                name = last
            } else {
                name = DialplanFunctions.strip(String(rest.prefix { $0 != "," }))
                rest = rest.drop { $0 != "," }.dropFirst()
                if name.contains("/") {
                    throw DialplanParseError(.unsupportedCallerIDMatch, line: line, "caller ID matching ('\(name)') is not supported")
                }
            }
            guard !name.isEmpty, let comma = rest.firstIndex(of: ",") else {
                throw DialplanParseError(.missingPriority, line: line, "expected 'extension,priority,Application(data)'")
            }
            var priorityText = DialplanFunctions.strip(String(rest[..<comma]))
            let application = DialplanFunctions.strip(String(rest[rest.index(after: comma)...]))

            var label: String?
            if let open = priorityText.firstIndex(of: "(") {
                let inside = priorityText[priorityText.index(after: open)...]
                label = String(inside.prefix { $0 != ")" })
                priorityText = String(priorityText[..<open])
            }
            if priorityText == "hint" {
                var exten = context.extensionNamed(name) ?? DialplanExtension(name)
                exten.hint = application
                context.insert(exten)
                lastExtension = name
                return
            }
            let number = try resolvePriority(priorityText, extension: name, line: line)
            guard !application.isEmpty else {
                throw DialplanParseError(.missingApplication, line: line, "no application for priority \(number)")
            }
            let (app, data) = try splitApplication(application, line: line)
            let priority = DialplanPriority(
                number: number, label: label?.isEmpty == false ? label : nil,
                application: app, data: data, line: line)
            guard context.add(priority, to: name) else {
                throw DialplanParseError(.duplicatePriority, line: line, "priority \(number) of '\(name)' is already defined")
            }
            lastPriority = number
            lastExtension = name
        }

        private func resolvePriority(_ text: String, extension name: String, line: Int) throws(DialplanParseError) -> Int {
            let (base, plus) = ApplicationArguments.splitOnce(text, at: "+")
            var number: Int
            switch base {
            case "n", "next":
                guard let last = lastPriority else {
                    throw DialplanParseError(.nextPriorityWithoutPrevious, line: line, "can't use 'next' priority on the first entry")
                }
                number = last + 1
            case "s", "same":
                guard let last = lastPriority else {
                    throw DialplanParseError(.nextPriorityWithoutPrevious, line: line, "can't use 'same' priority on the first entry")
                }
                number = last
            default:
                if let value = ApplicationArguments.scanInteger(base) {
                    number = value
                } else if let labelled = context.extensionNamed(name)?.priority(labelled: base) {
                    number = labelled
                } else {
                    throw DialplanParseError(.invalidPriority, line: line, "invalid priority/label '\(text)'")
                }
            }
            if let plus { number += ApplicationArguments.leadingInteger(plus) }
            guard number > 0 else { throw DialplanParseError(.invalidPriority, line: line, "invalid priority '\(text)'") }
            return number
        }

        /// `Dial(PJSIP/100,30)` → (`Dial`, `PJSIP/100,30`); text with `${`/`$[` before any `(` is all application.
        private func splitApplication(_ text: String, line: Int) throws(DialplanParseError) -> (String, String) {
            guard let open = text.firstIndex(of: "(") else { return (text, "") }
            let name = String(text[..<open])
            if name.contains("${") || name.contains("$[") { return (text, "") }
            let rest = text[text.index(after: open)...]
            guard let close = rest.lastIndex(of: ")") else {
                throw DialplanParseError(.missingClosingParenthesis, line: line, "no closing parenthesis in '\(text)'")
            }
            return (DialplanFunctions.strip(name), String(rest[..<close]))
        }
    }
}
