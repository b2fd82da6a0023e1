import Foundation
import Hummingbird
import Store

/// Administrators of a tenant (`/tenants/{uuid}/admins`) and the signed-in administrator's API
/// tokens (`/tokens`). New passwords and tokens are shown once.
enum AccountRoutes {
    static func register(on router: Router<AdminRequestContext>, app: AdminApp) {
        router.get("/tenants/:tenant/admins") { request, context -> Response in
            try await app.withTenant(request, context) { auth, tenant in await admins(app, auth, tenant) }
        }
        router.post("/tenants/:tenant/admins") { request, context -> Response in
            try await app.withTenantForm(request, context) { auth, tenant, form in
                let name = form.text("name")
                let typed = form["password"] ?? ""
                let password = typed.isEmpty ? AdminSecrets.randomPassword() : typed
                guard password.count >= 8, ProvisioningRules.secret.accepts(password) else {
                    return await admins(
                        app, auth, tenant, error: AdminStoreError(.invalid, field: "password", "must be 8-128 printable characters"), name: name)
                }
                do {
                    let hash = try await AdminSecrets.hashPassword(password, cost: app.configuration.bcryptCost)
                    let user = try await app.store.createAdminUser(name: name, tenant: tenant.tenant.uuid, passwordHash: hash)
                    return await admins(
                        app, auth, tenant, secret: "Administrator \(user.loginName) created with password: \(password) (shown only now)")
                } catch let error as AdminStoreError {
                    return await admins(app, auth, tenant, error: error, name: name)
                }
            }
        }
        router.post("/tenants/:tenant/admins/:id/delete") { request, context -> Response in
            try await app.withTenantForm(request, context) { auth, tenant, _ in
                guard let id = context.parameters.get("id", as: Int64.self),
                    let user = try await app.store.adminUsers(of: tenant.tenant.uuid).first(where: { $0.id == id })
                else {
                    return ExtensionRoutes.notFound(app, auth, tenant)
                }
                try await app.store.deleteAdminUser(id: user.id)
                app.sessions.removeAll(adminUserID: user.id)
                return app.done(auth, AdminApp.tenantPath(tenant, "/admins"), "Administrator \(user.loginName) deleted.")
            }
        }
        router.get("/tokens") { request, _ -> Response in
            try await app.withPanel(request) { auth in await tokens(app, auth) }
        }
        router.post("/tokens") { request, context -> Response in
            try await app.withForm(request, context) { auth, form in
                let token = AdminSecrets.newAPIToken()
                do {
                    try await app.store.createAPIToken(
                        name: form.text("name"), sha256: AdminSecrets.sha256Hex(token), adminUserID: auth.principal.user.id)
                } catch let error as AdminStoreError {
                    return await tokens(app, auth, error: error)
                }
                return await tokens(app, auth, newToken: token)
            }
        }
        router.post("/tokens/:id/delete") { request, context -> Response in
            try await app.withForm(request, context) { auth, _ in
                guard let id = context.parameters.get("id", as: Int64.self) else { return Reply.redirect("/tokens") }
                try? await app.store.deleteAPIToken(id: id, adminUserID: auth.principal.user.id)
                return app.done(auth, "/tokens", "Token revoked.")
            }
        }
    }

    static func admins(
        _ app: AdminApp, _ auth: PanelAuth, _ tenant: TenantRecord, error: AdminStoreError? = nil, name: String = "",
        secret: String? = nil
    ) async -> Response {
        let base = AdminApp.tenantPath(tenant, "/admins")
        let csrf = auth.session.csrfToken
        let rows = ((try? await app.store.adminUsers(of: tenant.tenant.uuid)) ?? []).map { user -> [String] in
            [
                "<code>\(HTML.escape(user.loginName))</code>",
                user.id == auth.principal.user.id
                    ? "<span class=\"muted\">you</span>"
                    : HTML.buttonForm(
                        action: "\(base)/\(user.id)/delete", csrf: csrf, label: "Delete", style: "danger", confirm: "Delete \(user.loginName)?"),
            ]
        }
        let fieldError = { (field: String) in error?.field == field ? error?.message : nil }
        let body = """
            \(secret.map { "<p class=\"secret\" id=\"new-secret\">\(HTML.escape($0))</p>" } ?? "")
            <p class="muted">Tenant administrators sign in as <code>name@\(HTML.escape(tenant.tenant.domain))</code> and see only this tenant.</p>
            \(HTML.table(["Login", ""], rows: rows, empty: "No tenant administrator yet.", id: "admins"))
            <section class="card"><h2>New administrator</h2>
            <form class="row" method="post" action="\(base)" id="admin-form">\(HTML.csrfField(csrf))
            \(HTML.input("name", label: "Name (before @\(tenant.tenant.domain))", value: name, error: fieldError("name"), required: true))
            \(HTML.input("password", label: "Password (empty: generate one)", type: "password", error: fieldError("password"), extra: "autocomplete=\"new-password\""))
            <button type="submit">Create</button></form></section>
            """
        return app.page(
            auth, tenant: tenant, title: "Administrators", body: body, active: "admins", status: error.map { Reply.status(of: $0) } ?? .ok)
    }

    static func tokens(_ app: AdminApp, _ auth: PanelAuth, error: AdminStoreError? = nil, newToken: String? = nil) async -> Response {
        let csrf = auth.session.csrfToken
        let rows = ((try? await app.store.apiTokens(adminUserID: auth.principal.user.id)) ?? []).map { token -> [String] in
            [
                HTML.escape(token.name), HTML.escape(Date(timeIntervalSince1970: token.createdAt).formatted(.iso8601)),
                HTML.buttonForm(action: "/tokens/\(token.id)/delete", csrf: csrf, label: "Revoke", style: "danger", confirm: "Revoke \(token.name)?"),
            ]
        }
        let shown =
            newToken.map {
                "<p class=\"secret\">New token (shown only now): <code id=\"api-token\">\(HTML.escape($0))</code> "
                    + "<button type=\"button\" class=\"secondary\" data-copy-target=\"api-token\">Copy</button></p>"
            } ?? ""
        let body = """
            \(shown)
            <p class="muted">A token acts as you (\(HTML.escape(auth.principal.user.loginName))) on the REST API under <code>/api/v1</code>:
            send <code>Authorization: Bearer &lt;token&gt;</code>. The API is described at <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.</p>
            \(HTML.table(["Name", "Created", ""], rows: rows, empty: "No token yet.", id: "tokens"))
            <section class="card"><h2>New token</h2>
            <form class="row" method="post" action="/tokens" id="token-form">\(HTML.csrfField(csrf))
            \(HTML.input("name", label: "Name", error: error?.message, placeholder: "crm-sync"))
            <button type="submit">Create token</button></form></section>
            """
        return app.page(auth, tenant: nil, title: "API tokens", body: body, active: "tokens", status: error.map { Reply.status(of: $0) } ?? .ok)
    }
}
