import Foundation
import Store

/// The HTML of the AMI settings page.
struct AMISettingsPage {
    let tenant: TenantRecord
    let users: [AMIUserRecord]
    let csrf: String
    let exampleExtension: String
    let error: AdminStoreError?
    let values: [String: String]
    let secret: (username: String, password: String)?
    let notice: String?

    static let exampleDestination = "0612345678"

    private var base: String { AdminApp.tenantPath(tenant, "/ami") }
    private var uuid: String { tenant.tenant.uuid.uuidString.lowercased() }
    private func error(for field: String) -> String? { error?.field == field ? error?.message : nil }

    func html() -> String {
        let user = users.first
        var parts: [String] = []
        if let notice { parts.append("<p class=\"flash\" role=\"status\">\(HTML.escape(notice))</p>") }
        if let error, !["username", "password", "entry", "eventfilter"].contains(error.field) {
            parts.append("<p class=\"error\" role=\"alert\">\(HTML.escape(error.message))</p>")
        }
        if let secret {
            parts.append(
                """
                <p class="secret" id="new-secret">Password of <code>\(HTML.escape(secret.username))</code>:
                <code id="ami-password">\(HTML.escape(secret.password))</code>
                <button type="button" class="secondary" data-copy-target="ami-password">Copy</button>
                <br><span class="muted">Shown only now: copy it into your CRM or CTI software.</span></p>
                """)
        }
        parts.append(serviceCard())
        parts.append(credentialsCard(user))
        parts.append(aclCard(user))
        parts.append(eventFilterCard(user))
        parts.append(snippetsCard())
        if users.count > 1 {
            let others = users.dropFirst().map { HTML.escape($0.username) }.joined(separator: ", ")
            parts.append("<p class=\"muted\">Other AMI users of this tenant (managed by <code>centralino apply</code> or the API): \(others)</p>")
        }
        return parts.joined(separator: "\n")
    }

    private func serviceCard() -> String {
        let on = tenant.amiEnabled
        let badge =
            on
            ? "<span class=\"badge on\" id=\"ami-service-state\">enabled</span>"
            : "<span class=\"badge off\" id=\"ami-service-state\">disabled</span>"
        let toggle = HTML.buttonForm(
            action: "\(base)/service", csrf: csrf, label: on ? "Disable AMI" : "Enable AMI", style: on ? "danger" : "",
            confirm: on ? "Disable AMI? Connected sessions are closed." : nil, hidden: [("enabled", on ? "0" : "1")])
        return """
            <section class="card"><h2>Service</h2>
            <dl class="facts"><dt>AMI service</dt><dd>\(badge) \(toggle)</dd>
            <dt>Tenant UUID</dt><dd><span class="uuid" id="tenant-uuid">\(uuid)</span>
            <button type="button" class="secondary" data-copy-target="tenant-uuid">Copy</button></dd></dl>
            </section>
            """
    }

    private func credentialsCard(_ user: AMIUserRecord?) -> String {
        let username = values["username"] ?? user?.username ?? ""
        var html = """
            <section class="card"><h2>Credentials</h2>
            <p class="muted" id="ami-sessions-note">Saving a new password, ACL or user state ends the connected AMI sessions that the new settings would not admit; the CRM must log in again.</p>
            <form class="row" method="post" action="\(base)/username" id="ami-username-form">\(HTML.csrfField(csrf))
            \(HTML.input("username", label: "Username", value: username, error: error(for: "username"), required: true))
            <button type="submit">\(user == nil ? "Create user" : "Save username")</button></form>
            """
        if let user {
            html += """
                <form class="row" method="post" action="\(base)/password" id="ami-password-form">\(HTML.csrfField(csrf))
                \(HTML.input("password", label: "New password (empty: generate one)", type: "password", error: error(for: "password"), extra: "autocomplete=\"new-password\""))
                <button type="submit">Set password</button></form>
                <p>User \(user.enabled ? "<span class=\"badge on\">enabled</span>" : "<span class=\"badge off\">disabled</span>")
                \(HTML.buttonForm(action: "\(base)/user-enabled", csrf: csrf, label: user.enabled ? "Disable user" : "Enable user", style: "secondary",
                                  hidden: [("enabled", user.enabled ? "0" : "1"), ("username", user.username)]))</p>
                <h2>Permissions</h2>
                <dl class="facts" id="ami-permissions"><dt>read</dt><dd><code>\(HTML.escape(user.read))</code></dd>
                <dt>write</dt><dd><code>\(HTML.escape(user.write))</code></dd></dl>
                <p class="muted">Fixed, as on KalliopePBX: events of calls, and actions on calls including Originate (click-to-call).</p>
                """
        } else {
            html += "<p class=\"muted\">No AMI user yet: choose a username; a password is generated and shown once.</p>"
        }
        return html + "</section>"
    }

    private func aclCard(_ user: AMIUserRecord?) -> String {
        guard let user else { return "" }
        let rows = user.permit.map { entry in
            [
                "<code>\(HTML.escape(entry))</code>",
                HTML.buttonForm(action: "\(base)/acl/remove", csrf: csrf, label: "Remove", style: "danger", hidden: [("entry", entry)]),
            ]
        }
        return """
            <section class="card"><h2>ACL (permitted addresses)</h2>
            <p class="muted">Logins are accepted only from these IPv4/IPv6 addresses or subnets (e.g. <code>192.168.1.10</code>, <code>10.0.0.0/8</code>, <code>2001:db8::/32</code>). An empty list permits nobody.</p>
            \(HTML.table(["Entry", ""], rows: rows, empty: "No entry: nobody may log in.", id: "acl"))
            <form class="row" method="post" action="\(base)/acl/add" id="acl-add-form">\(HTML.csrfField(csrf))
            \(HTML.input("entry", label: "Address or subnet", value: values["entry"] ?? "", error: error(for: "entry"), placeholder: "192.168.1.0/24", required: true))
            <button type="submit">Add</button></form>
            </section>
            """
    }

    /// The user's `eventfilter` list, one manager.conf line per textarea line.
    private func eventFilterCard(_ user: AMIUserRecord?) -> String {
        guard let user else { return "" }
        let text = values["eventfilter"] ?? user.eventFilter.joined(separator: "\n")
        let problem = error(for: "eventfilter").map { "<p class=\"error\" role=\"alert\" id=\"eventfilter-error\">\(HTML.escape($0))</p>" } ?? ""
        return """
            <section class="card"><h2>Event filters</h2>
            <p class="muted">Only the events these filters let through reach the CRM's sessions (Asterisk's <code>eventfilter</code>): one per line, a regular expression matched against the event's text, <code>!</code> in front to exclude. With include filters an event must match one of them; an exclude filter that matches drops it. Example: <code>Event: Newchannel</code>, <code>Event: Hangup</code>, <code>!Channel: Local/</code>. Empty: every event. Applies from the next login.</p>
            <form method="post" action="\(base)/eventfilter" id="eventfilter-form">\(HTML.csrfField(csrf))
            <label for="eventfilter">Filters</label>
            <textarea name="eventfilter" id="eventfilter" rows="5" cols="60" spellcheck="false">\(HTML.escape(text))</textarea>
            \(problem)
            <button type="submit">Save filters</button></form>
            </section>
            """
    }

    private func snippetsCard() -> String {
        let ext = exampleExtension
        let destination = Self.exampleDestination
        let variables = """
            Action: Originate
            Async: true
            Channel: Local/\(ext)@c2c
            Context: from_c2c
            Exten: \(destination)
            CallerId: "c2c: \(destination)" <\(destination)>
            Timeout: 10000
            Priority: 1
            Variable: C2C_SRC=\(ext)
            Variable: C2C_DST=\(destination)
            Variable: __TENANT_UUID=\(uuid)
            """
        let wrapper = """
            Action: Originate
            Async: true
            Channel: Local/\(ext)@c2c_\(uuid)
            Context: from_c2c_\(uuid)
            Exten: \(destination)
            CallerId: "c2c: \(destination)" <\(ext)>
            Timeout: 10000
            Priority: 1
            """
        return """
            <section class="card"><h2>Click-to-call (Originate)</h2>
            <p>Calls extension <code>\(HTML.escape(ext))</code> first, then <code>\(destination)</code> (include the outbound prefix for external numbers).</p>
            <h3>With channel variables</h3>
            <pre id="snippet-variables">\(HTML.escape(variables))</pre>
            <button type="button" class="secondary" data-copy-target="snippet-variables">Copy</button>
            <h3>With context wrappers (for TAPI drivers that cannot set variables)</h3>
            <pre id="snippet-wrapper">\(HTML.escape(wrapper))</pre>
            <button type="button" class="secondary" data-copy-target="snippet-wrapper">Copy</button>
            </section>
            """
    }
}
