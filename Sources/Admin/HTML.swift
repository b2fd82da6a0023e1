/// Small helpers to write server-rendered HTML safely: every value from outside goes through `escape`.
enum HTML {
    static func escape(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.count)
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.append(character)
            }
        }
        return result
    }

    /// A hidden input carrying the session's CSRF token; every form includes it.
    static func csrfField(_ token: String) -> String {
        "<input type=\"hidden\" name=\"_csrf\" value=\"\(escape(token))\">"
    }

    /// A POST form with the CSRF field and one submit button (e.g. a delete button in a table row).
    static func buttonForm(
        action: String, csrf: String, label: String, style: String = "", confirm: String? = nil, hidden: [(String, String)] = []
    ) -> String {
        let onsubmit = confirm.map { " data-confirm=\"\(escape($0))\"" } ?? ""
        let fields = hidden.map { "<input type=\"hidden\" name=\"\(escape($0.0))\" value=\"\(escape($0.1))\">" }.joined()
        return "<form class=\"inline\" method=\"post\" action=\"\(escape(action))\"\(onsubmit)>\(csrfField(csrf))\(fields)"
            + "<button type=\"submit\" class=\"\(style)\">\(escape(label))</button></form>"
    }

    /// A labelled text input, showing `error` beneath it when the last submission was refused.
    static func input(
        _ name: String, label: String, value: String = "", type: String = "text", error: String? = nil,
        placeholder: String = "", required: Bool = false, extra: String = ""
    ) -> String {
        let errorHTML = error.map { "<span class=\"field-error\" role=\"alert\">\(escape($0))</span>" } ?? ""
        return "<label>\(escape(label))<input type=\"\(type)\" name=\"\(escape(name))\" id=\"f-\(escape(name))\" value=\"\(escape(value))\""
            + " placeholder=\"\(escape(placeholder))\"\(required ? " required" : "")\(error == nil ? "" : " aria-invalid=\"true\"") \(extra)>\(errorHTML)</label>"
    }

    /// A table with a header row; cells are already HTML.
    static func table(_ headers: [String], rows: [[String]], empty: String, id: String = "") -> String {
        let head = headers.map { "<th>\(escape($0))</th>" }.joined()
        let body =
            rows.isEmpty
            ? "<tr><td colspan=\"\(headers.count)\" class=\"muted\">\(escape(empty))</td></tr>"
            : rows.map { "<tr>" + $0.map { "<td>\($0)</td>" }.joined() + "</tr>" }.joined()
        return "<table\(id.isEmpty ? "" : " id=\"\(id)\"")><thead><tr>\(head)</tr></thead><tbody>\(body)</tbody></table>"
    }
}
