import Foundation
import Store

/// The frame of every signed-in page: header with the tenant's navigation, the flash message,
/// and the page body. Styles and scripts come from `/static` (no CDN, no inline code).
enum PanelLayout {
    static func render(title: String, auth: PanelAuth, tenant: TenantRecord?, active: String, flash: String?, body: String) -> String {
        let principal = auth.principal
        var nav: [String] = []
        if principal.isSystemAdmin { nav.append(link("/tenants", "Tenants", active == "tenants")) }
        if let tenant {
            let base = AdminApp.tenantPath(tenant)
            nav.append("<span class=\"tenant-name\">\(HTML.escape(tenant.tenant.name))</span>")
            for (suffix, label, key) in [
                ("", "Dashboard", "dashboard"), ("/extensions", "Extensions", "extensions"), ("/trunks", "Trunks", "trunks"),
                ("/routes", "Outbound routes", "routes"), ("/calls", "Call history", "calls"), ("/ami", "AMI", "ami"),
                ("/admins", "Administrators", "admins"),
            ] {
                nav.append(link(base + suffix, label, active == key))
            }
        } else if let own = principal.user.tenant {
            nav.append(link("/tenants/\(own.uuidString.lowercased())", "Dashboard", false))
        }
        let flashHTML = flash.map { "<p class=\"flash\" role=\"status\">\(HTML.escape($0))</p>" } ?? ""
        return document(
            title: title,
            body: """
                <header>
                  <a class="brand" href="/">Centralino</a>
                  <nav>\(nav.joined(separator: " "))</nav>
                  <div class="who">\(HTML.escape(principal.user.loginName)) · \(link("/tokens", "API tokens", active == "tokens"))
                  \(HTML.buttonForm(action: "/logout", csrf: auth.session.csrfToken, label: "Log out", style: "link"))</div>
                </header>
                <main>
                <h1>\(HTML.escape(title))</h1>
                \(flashHTML)
                \(body)
                </main>
                """)
    }

    /// A bare HTML document (also the login page).
    static func document(title: String, body: String) -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(HTML.escape(title)) · Centralino</title>
        <link rel="stylesheet" href="/static/app.css"><script src="/static/app.js" defer></script></head>
        <body>
        \(body)
        </body></html>
        """
    }

    static func link(_ href: String, _ label: String, _ current: Bool) -> String {
        "<a href=\"\(HTML.escape(href))\"\(current ? " aria-current=\"page\"" : "")>\(HTML.escape(label))</a>"
    }
}
